// The browser tests' stand-in for Zendesk's ZAF SDK (zaf_sdk.min.js), served after the shipped
// plugin/static/preview/zaf_client.js in its place. Where Zendesk would use its servers, it calls the
// test's "Zendesk" on the app's own origin (`/__zaf/...`): the ticket context, a log of invoked actions,
// and the proxy, which is where `{{setting.*}}` placeholders are filled in, so secure settings never
// reach this page.
'use strict';

(function () {
  function post(path, body) {
    return fetch(`/__zaf/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  }

  const client = window.zafClientOver({
    context: async () => (await fetch('/__zaf/context')).json(),
    invoke: (name, args) => post('invoke', { name, args }),
    send: (options) => post('proxy', options),
  });

  window.ZAFClient = {
    init() {
      return client;
    },
    // For the tests only: fire a framework event as Zendesk would.
    standinTrigger(name, data) {
      client.trigger(name, data);
    },
  };
})();
