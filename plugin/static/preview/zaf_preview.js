// The ZAF client of clvdesk's sidebar preview (/admin/preview/zendesk/<ticket>), served after
// zaf_client.js in place of zaf_sdk.min.js. The ticket id and the agent's locale come from the page's
// <meta name="clvdesk-preview">. Requests for {{setting.service_url}} go to the preview's own API on this
// origin, which the admin's session authorises: headers naming a {{setting.*}} (the API token) are
// dropped, never filled. There is no helpdesk frame or editor here: resize and insert do nothing.
'use strict';

(function () {
  const config = JSON.parse(document.querySelector('meta[name="clvdesk-preview"]').content);
  const context = {
    ticket: { id: config.ticket_id },
    currentUser: { id: null, name: 'Sidebar preview', locale: config.locale },
  };

  function send(settings) {
    const headers = {};
    Object.entries(settings.headers || {}).forEach(([name, value]) => {
      if (!String(value).includes('{{setting.')) headers[name] = value;
    });
    if (settings.contentType) headers['Content-Type'] = settings.contentType;
    const url = String(settings.url).replace('{{setting.service_url}}', config.service_url);
    return fetch(url, { method: settings.type || 'GET', headers, body: settings.data, credentials: 'same-origin' });
  }

  const client = window.zafClientOver({ context: async () => context, invoke: async () => {}, send });
  window.ZAFClient = {
    init() {
      return client;
    },
  };
})();
