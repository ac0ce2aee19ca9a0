// clvdesk in Freshdesk's ticket sidebar: the Zendesk sidebar's own page and script, on Freshdesk.
// The package carries that page (sidebar.html), its script (scripts/main.js) and its locales; this file
// puts the page in place and gives the script the few client calls it makes, answered by FDK's client:
// ticket and agent from data methods, resize and the reply editor from instance and interface methods,
// and clvdesk's API through the request templates of config/requests.json, which Freshworks fills with
// the secure iparam on its servers, so the token never reaches the agent's browser.
'use strict';

(function () {
  const TEMPLATES = { 'GET suggestion': 'getSuggestion', 'POST outcome': 'postOutcome', 'POST approval': 'postApproval' };
  const CALL = /\/tickets\/([^/]+)\/(suggestion|outcome|approval)$/;

  function unsupported(what) {
    return new Error(`the Freshdesk sidebar does not provide ${what}`);
  }

  function parsed(text) {
    try {
      return JSON.parse(text);
    } catch (error) {
      return undefined;
    }
  }

  // The script's client, over FDK's. Anything it asks for beyond these fails loudly.
  function sidebarClient(fdk) {
    const values = {
      async currentUser() {
        const { loggedInUser } = await fdk.data.get('loggedInUser');
        const contact = loggedInUser.contact || {};
        // No role: FDK gives the agent's role ids only, so an approval records who approved, unchecked.
        return { id: loggedInUser.id, locale: contact.language || 'en', email: contact.email, name: contact.name };
      },
      async 'ticket.id'() {
        return (await fdk.data.get('ticket')).ticket.id;
      },
      async 'ticket.requester.email'() {
        return (await fdk.data.get('requester')).requester.email;
      },
    };
    const actions = {
      resize: (size) => fdk.instance.resize({ height: size.height }),
      'ticket.editor.insert': (text) => fdk.interface.trigger('click', { id: 'reply', text }),
    };
    const events = { 'ticket.updated': ['app.activated', 'ticket.propertiesUpdated'] };

    async function get(paths) {
      const many = Array.isArray(paths);
      const answer = {};
      for (const path of many ? paths : [paths]) {
        if (!values[path]) throw unsupported(`"${path}"`);
        answer[path] = await values[path]();
      }
      return answer;
    }

    async function request(options) {
      const method = options.type || 'GET';
      const [, ticketId, call] = CALL.exec(options.url.split('?')[0]) || [];
      const template = TEMPLATES[`${method} ${call}`];
      if (!template) throw unsupported(`a request to ${method} ${options.url}`);
      const params = { context: { ticket_id: decodeURIComponent(ticketId) } };
      if (options.data !== undefined) params.body = options.data;
      try {
        const answer = await fdk.request.invokeTemplate(template, params);
        return options.dataType === 'json' ? parsed(answer.response) : answer.response;
      } catch (failure) {
        const responseText = (failure && failure.response) || '';
        throw { status: (failure && failure.status) || 0, responseText, responseJSON: parsed(responseText) };
      }
    }

    return {
      get,
      request,
      async invoke(name, ...args) {
        if (!actions[name]) throw unsupported(`the action "${name}"`);
        await actions[name](...args);
        return { errors: {} };
      },
      on(name, handler) {
        if (!events[name]) throw unsupported(`the event "${name}"`);
        events[name].forEach((event) => fdk.events.on(event, () => handler()));
      },
    };
  }

  // The sidebar's page: its styles and its <main>, without its scripts (this file loads them).
  async function placePage() {
    const page = new DOMParser().parseFromString(await (await fetch('sidebar.html')).text(), 'text/html');
    page.querySelectorAll('head style').forEach((style) => document.head.append(style));
    document.title = page.title;
    document.body.replaceChildren(page.querySelector('main'));
  }

  function load(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = src;
      script.onload = resolve;
      script.onerror = () => reject(new Error(`${src} did not load`));
      document.body.append(script);
    });
  }

  async function start() {
    const [fdk] = await Promise.all([app.initialized(), placePage()]);
    const client = sidebarClient(fdk);
    window.ZAFClient = { init: () => client };
    await load('scripts/main.js');
  }

  start().catch((error) => {
    const shell = document.getElementById('shell') || document.body.appendChild(document.createElement('p'));
    shell.textContent = `clvdesk could not start: ${error.message}`;
  });
})();
