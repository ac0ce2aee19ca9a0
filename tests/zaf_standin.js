// A stand-in for Zendesk's ZAF SDK (zaf_sdk.min.js), served by the browser tests in its place.
// It answers as the ZAF client API documents: `get` resolves {path: value} (a bulk get adds `errors`),
// `invoke` and `on` as the framework's; `request` resolves with the parsed body and rejects with a
// jqXHR-like object (status, statusText, responseText, responseJSON). Where Zendesk would use its
// servers, the stand-in calls the test's "Zendesk" on the app's own origin (`/__zaf/...`): the ticket
// context, a log of invoked actions, and the proxy, which is where `{{setting.*}}` placeholders are
// filled in, so secure settings never reach this page.
'use strict';

(function () {
  const handlers = {};

  function post(path, body) {
    return fetch(`/__zaf/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  }

  function at(context, path) {
    return path.split('.').reduce((node, part) => (node == null ? undefined : node[part]), context);
  }

  async function get(paths) {
    const context = await (await fetch('/__zaf/context')).json();
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

  async function invoke(name, ...args) {
    await post('invoke', { name, args });
    return { errors: {} };
  }

  async function request(options) {
    const response = await post('proxy', typeof options === 'string' ? { url: options, type: 'GET' } : options);
    const responseText = await response.text();
    let responseJSON;
    try {
      responseJSON = JSON.parse(responseText);
    } catch (error) {
      responseJSON = undefined;
    }
    if (response.ok) return options.dataType === 'json' ? responseJSON : responseText;
    throw { status: response.status, statusText: response.statusText, responseText, responseJSON };
  }

  const client = {
    get,
    invoke,
    request,
    on(name, handler) {
      (handlers[name] = handlers[name] || []).push(handler);
    },
    off(name, handler) {
      handlers[name] = (handlers[name] || []).filter((known) => known !== handler);
    },
  };

  window.ZAFClient = {
    init() {
      return client;
    },
    // For the tests only: fire a framework event as Zendesk would.
    standinTrigger(name, data) {
      (handlers[name] || []).forEach((handler) => handler(data));
    },
  };
})();
