// A stand-in of Zendesk's ZAF client for clvdesk's sidebar preview (/admin/preview/zendesk/<ticket>),
// served in place of zaf_sdk.min.js. It answers as the ZAF client API documents (`get` resolves
// {path: value}, a bulk get adds `errors`; `request` resolves with the parsed body or rejects with a
// jqXHR-like object), from the page's <meta name="clvdesk-preview">: the ticket id and the agent's
// locale. Requests for {{setting.service_url}} go to the preview's own API on this origin, which the
// admin's session authorises: headers naming a {{setting.*}} (the API token) are dropped, not filled.
'use strict';

(function () {
  const config = JSON.parse(document.querySelector('meta[name="clvdesk-preview"]').content);
  const context = {
    ticket: { id: config.ticket_id },
    currentUser: { id: null, name: 'Sidebar preview', locale: config.locale },
  };
  const handlers = {};

  function at(path) {
    return path.split('.').reduce((node, part) => (node == null ? undefined : node[part]), context);
  }

  async function get(paths) {
    const many = Array.isArray(paths);
    const answer = many ? { errors: {} } : {};
    for (const path of many ? paths : [paths]) {
      const value = at(path);
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
    const headers = {};
    Object.entries(settings.headers || {}).forEach(([name, value]) => {
      if (!String(value).includes('{{setting.')) headers[name] = value;
    });
    if (settings.contentType) headers['Content-Type'] = settings.contentType;
    const url = String(settings.url).replace('{{setting.service_url}}', config.service_url);
    const response = await fetch(url, {
      method: settings.type || 'GET', headers, body: settings.data, credentials: 'same-origin',
    });
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

  const client = {
    get,
    request,
    async invoke() {
      return { errors: {} }; // resize and ticket.editor.insert: there is no helpdesk frame or editor here
    },
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
  };
})();
