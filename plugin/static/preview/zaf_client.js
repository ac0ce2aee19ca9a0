// Zendesk's ZAF client as its API documents it (`get` resolves {path: value}, a bulk get adds `errors`;
// `invoke` and `on` as the framework's; `request` resolves with the parsed body and rejects with a
// jqXHR-like object: status, statusText, responseText, responseJSON), over a `source` that says where
// the ticket context comes from, what an invoked action does and where a request goes. Shared by the
// sidebar preview (zaf_preview.js) and the browser tests' stand-in (tests/zaf_standin.js).
'use strict';

window.zafClientOver = function zafClientOver(source) {
  const handlers = {};

  function at(context, path) {
    return path.split('.').reduce((node, part) => (node == null ? undefined : node[part]), context);
  }

  async function get(paths) {
    const context = await source.context();
    const many = Array.isArray(paths);
    const answer = many ? { errors: {} } : {};
    for (const path of many ? paths : [paths]) {
      const value = at(context, path);
      if (value === undefined) {
        if (!many) throw new Error(`"${path}" Could not find handler for: "${path}"`);
        answer.errors[path] = { message: `Could not find handler for: "${path}"` };
      } else {
        answer[path] = value;
      }
    }
    return answer;
  }

  async function request(options) {
    const settings = typeof options === 'string' ? { url: options, type: 'GET' } : options;
    const response = await source.send(settings);
    const responseText = await response.text();
    let responseJSON;
    try {
      responseJSON = JSON.parse(responseText);
    } catch (error) {
      responseJSON = undefined;
    }
    if (response.ok) return settings.dataType === 'json' ? responseJSON : responseText;
    throw { status: response.status, statusText: response.statusText, responseText, responseJSON };
  }

  return {
    get,
    request,
    async invoke(name, ...args) {
      await source.invoke(name, args);
      return { errors: {} };
    },
    on(name, handler) {
      (handlers[name] = handlers[name] || []).push(handler);
    },
    off(name, handler) {
      handlers[name] = (handlers[name] || []).filter((known) => known !== handler);
    },
    trigger(name, data) { // a framework event, as Zendesk fires it
      (handlers[name] || []).forEach((handler) => handler(data));
    },
  };
};
