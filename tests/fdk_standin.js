// A stand-in for the client object of Freshworks' FDK (Platform 3.0), served in place of {{{appclient}}}.
// It answers as FDK's documentation describes: `app.initialized()` resolves the client; `data.get(name)`
// resolves {name: value}; `instance.resize`, `interface.trigger` and `events.on` as the platform's;
// `request.invokeTemplate(name, {context, body})` resolves {status, headers, response} (the body as a
// string) and rejects with the same shape for an error status. Where Freshworks would use its servers,
// the stand-in calls the test's "Freshworks" on the app's own origin (`/__fdk/...`): the page's data, a
// log of invoked methods, and the request-template proxy, which is where iparams (secure ones too) are
// filled in, so they never reach this page.
'use strict';

(function () {
  const handlers = {};

  async function post(path, body) {
    return fetch(`/__fdk/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  }

  async function invoked(method, args) {
    await post('invoke', { method, args });
    return { message: 'success' };
  }

  const client = {
    data: {
      async get(name) {
        const answer = await fetch(`/__fdk/data/${encodeURIComponent(name)}`);
        if (!answer.ok) throw { status: answer.status, message: `no data method "${name}" here` };
        return { [name]: await answer.json() };
      },
    },
    instance: {
      resize: (size) => invoked('instance.resize', [size]),
    },
    interface: {
      trigger: (action, options) => invoked('interface.trigger', [action, options]),
    },
    events: {
      on(name, handler) {
        (handlers[name] = handlers[name] || []).push(handler);
      },
    },
    request: {
      async invokeTemplate(name, options) {
        const answer = await post('template', { name, ...(options || {}) });
        const result = {
          status: answer.status,
          headers: Object.fromEntries(answer.headers.entries()),
          response: await answer.text(),
        };
        if (answer.status >= 400 || answer.status === 0) throw { ...result, errorSource: 'APP' };
        return result;
      },
    },
  };

  window.app = { initialized: () => Promise.resolve(client) };
  // For the tests only: fire a platform event as Freshdesk would.
  window.fdkStandinTrigger = (name, data) => (handlers[name] || []).forEach((handler) => handler({ data }));
})();
