// clvdesk ticket sidebar: show this ticket's suggestion, approve an offer that needs a supervisor,
// insert its reply, record what the agent did.
// Every call to clvdesk goes through Zendesk's proxy with `secure: true`: the proxy fills in
// {{setting.api_token}} on Zendesk's servers, so the token never reaches the agent's browser.
// Data reaches the page through textContent only, never as markup.
'use strict';

const POLL_DELAYS_MS = [2000, 4000, 8000, 16000]; // a 404 means the worker has not handled the ticket yet
const DEFAULT_LOCALE = 'en'; // a language with no file in locales/ (clvdesk/locales/ in the repository) gets English

const client = ZAFClient.init();
const byId = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const state = {
  strings: {}, userLocale: 'en', agentId: null, agentName: null, agentRole: null, ticketId: null, shown: null, generation: 0,
};

function lookup(key) {
  return key.split('.').reduce((node, part) => (node && typeof node === 'object' ? node[part] : undefined), state.strings);
}

function t(key, values = {}) {
  const text = lookup(key);
  if (typeof text !== 'string') return key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function named(group, name, fallback) {
  const text = lookup(`${group}.${name}`);
  return typeof text === 'string' ? text : fallback || name;
}

async function loadStrings(userLocale) {
  const language = String(userLocale || DEFAULT_LOCALE).toLowerCase().replace('_', '-').split('-')[0];
  let locale = /^[a-z]{2,3}$/.test(language) ? language : DEFAULT_LOCALE;
  let response = await fetch(`locales/${locale}.json`);
  if (!response.ok && locale !== DEFAULT_LOCALE) {
    locale = DEFAULT_LOCALE;
    response = await fetch(`locales/${locale}.json`);
  }
  state.strings = await response.json();
  document.documentElement.lang = locale;
  document.querySelectorAll('[data-i18n]').forEach((element) => {
    element.textContent = t(element.dataset.i18n);
  });
}

function money(value, currency) {
  try {
    return new Intl.NumberFormat(state.userLocale, { style: 'currency', currency }).format(value);
  } catch (error) {
    return `${value.toFixed(2)} ${currency}`; // an unknown currency code: show it plainly
  }
}

function number(value, options) {
  return new Intl.NumberFormat(state.userLocale, options).format(value);
}

function day(instant) {
  return new Intl.DateTimeFormat(state.userLocale, { dateStyle: 'medium' }).format(new Date(instant));
}

function percent(value) {
  return new Intl.NumberFormat(state.userLocale, { style: 'percent', maximumFractionDigits: 0 }).format(value);
}

function quoted(words) {
  return words.length ? ` “${words.join('”, “')}”` : '';
}

function item(label, evidence) {
  const entry = document.createElement('li');
  entry.append(label);
  if (evidence && evidence.length) {
    const words = document.createElement('span');
    words.className = 'evidence';
    words.textContent = quoted(evidence);
    entry.append(words);
  }
  return entry;
}

function resize() {
  client.invoke('resize', { width: '100%', height: `${Math.ceil(document.documentElement.scrollHeight)}px` });
}

function showStatus(text, canRetry = false) {
  byId('status').textContent = text;
  byId('retry').hidden = !canRetry;
  resize();
}

function describe(outcome) {
  if (outcome.outcome === 'changed') return `${t('outcome.changed')}: ${money(outcome.given_amount, outcome.currency)}`;
  if (outcome.outcome === 'declined') return `${t('outcome.declined')}: ${outcome.reason}`;
  return t('outcome.applied');
}

function approvedBy(approval) {
  const when = new Date(approval.approved_at).toLocaleString(state.userLocale, { dateStyle: 'medium', timeStyle: 'short' });
  return t('offer.approved', { name: approval.approved_by_name || approval.approved_by, when });
}

// Whether a supervisor must approve, who, and once approved who did and when; the button until then.
function showApproval(offer, approval) {
  const waiting = offer.needs_approval && !approval;
  let text = t('offer.no_approval');
  if (approval) text = approvedBy(approval);
  else if (offer.needs_approval) text = offer.approval_role ? t('offer.needs_approval_by', { role: offer.approval_role }) : t('offer.needs_approval');
  byId('approval').textContent = text;
  byId('approval').classList.toggle('attention', waiting);
  byId('approve').hidden = !waiting;
}

function showCustomer(customer, requester) {
  byId('tier').textContent = customer.tier_label;
  byId('requester').textContent = customer.email || requester || '';
  let note = '';
  if (!customer.known) note = t('customer.unknown');
  else if (requester && customer.email && requester.toLowerCase() !== customer.email) note = t('customer.requester_changed');
  byId('customer-note').textContent = note;
  const notFitted = t('customer.not_fitted');
  byId('residual-clv').textContent = money(customer.residual_clv, customer.currency);
  byId('total-clv').textContent = customer.total_clv == null ? notFitted : money(customer.total_clv, customer.currency);
  byId('historical-spend').textContent = money(customer.historical_spend, customer.currency);
  byId('p-alive').textContent = customer.p_alive == null ? notFitted : percent(customer.p_alive);
  byId('segment').textContent = customer.segment == null ? notFitted : named('segments', customer.segment);
  byId('values-as-of').textContent = customer.values_as_of == null ? t('customer.as_stored') : day(customer.values_as_of);
}

function showSentiment(sentiment) {
  byId('sentiment').textContent = t(`sentiment.${sentiment.label}`);
  const score = number(sentiment.score, { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'always' });
  byId('score').textContent = `(${t('sentiment.score', { score })})`;
  const category = sentiment.category;
  byId('category').textContent = named('categories', category.name, category.label) + quoted(category.evidence);
  byId('language').textContent = named('language_names', sentiment.language, sentiment.language);
  const signals = sentiment.signals.map((signal) => item(named('signals', signal.name, signal.label), signal.evidence));
  byId('signals').replaceChildren(...(signals.length ? signals : [item(t('sentiment.no_signals'))]));
}

function showReply(reply) {
  byId('reply').textContent = reply.text;
  byId('reply').lang = reply.language;
  byId('reply-note').textContent = reply.awaits_approval ? t('reply.awaits_approval') : '';
}

function showOffer(offer, reasons, reply, approval) {
  byId('instrument').textContent = named('instruments', offer.instrument, offer.instrument_label);
  byId('amount').textContent = offer.amount > 0 ? money(offer.amount, offer.currency) : '';
  byId('budget-left').textContent = offer.budget_left == null
    ? t('offer.no_rolling_budget') : money(offer.budget_left, offer.currency);
  showApproval(offer, approval);
  byId('flagged').hidden = !offer.flagged;
  byId('reasons').replaceChildren(...reasons.map((reason) => item(reason.text)));
  showReply(reply);
  byId('amount-label').textContent = t('outcome.amount', { currency: offer.currency });
}

function show(suggestion, requester) {
  const fresh = !state.shown || state.shown.event_id !== suggestion.event_id;
  state.shown = suggestion;
  showCustomer(suggestion.customer, requester);
  showSentiment(suggestion.sentiment);
  showOffer(suggestion.offer, suggestion.reasons, suggestion.reply, suggestion.approval);
  if (fresh) {
    byId('outcome-form').reset();
    chooseOutcome();
    byId('reply-status').textContent = '';
    byId('approval-status').textContent = '';
    byId('outcome-status').textContent = suggestion.outcome ? t('outcome.current', { outcome: describe(suggestion.outcome) }) : '';
  }
  byId('suggestion').hidden = false;
  showStatus('');
}

function api(path, options = {}) {
  return client.request({
    url: `{{setting.service_url}}/api/v1/zendesk/tickets/${encodeURIComponent(state.ticketId)}/${path}`,
    type: 'GET',
    headers: { Authorization: 'Bearer {{setting.api_token}}' },
    secure: true,
    dataType: 'json',
    ...options,
  });
}

async function fetchSuggestion() {
  try {
    return await api(`suggestion?locale=${encodeURIComponent(state.userLocale)}`); // reasons and tier in it
  } catch (error) {
    if (error && error.status === 404) return null;
    throw error;
  }
}

async function refresh() {
  const mine = ++state.generation;
  const current = () => mine === state.generation;
  try {
    const ticket = await client.get(['ticket.id', 'ticket.requester.email']);
    state.ticketId = ticket['ticket.id'];
    const requester = ticket['ticket.requester.email'];
    for (let attempt = 0; current(); attempt += 1) {
      const suggestion = await fetchSuggestion();
      if (!current()) return;
      if (suggestion) return show(suggestion, requester);
      if (attempt >= POLL_DELAYS_MS.length) return showStatus(t('status.not_ready'), true);
      showStatus(t('status.pending'));
      await sleep(POLL_DELAYS_MS[attempt]);
    }
  } catch (error) {
    if (!current()) return;
    const status = error && error.status;
    const answered = status >= 400 && status < 500;
    showStatus(answered ? t('status.failed', { status }) : t('status.unreachable'), true);
  }
}

async function insertReply() {
  await client.invoke('ticket.editor.insert', state.shown.reply.text);
  byId('reply-status').textContent = t('reply.inserted');
  resize();
}

function failure(error) {
  return (error && error.responseJSON && error.responseJSON.message) || t('status.unreachable');
}

async function approve() {
  const shown = state.shown;
  const body = { agent_id: state.agentId, event_id: shown.event_id };
  if (state.agentName) body.agent_name = state.agentName;
  if (state.agentRole != null) body.agent_role = state.agentRole;
  byId('approve').disabled = true;
  try {
    const approved = await api('approval', { type: 'POST', contentType: 'application/json', data: JSON.stringify(body) });
    if (state.shown !== shown) return; // another suggestion came in meanwhile: it shows its own state
    shown.approval = approved;
    shown.reply = approved.reply; // the approved wording is now the one to insert
    showApproval(shown.offer, approved);
    showReply(approved.reply);
    byId('approval-status').textContent = '';
  } catch (error) {
    byId('approval-status').textContent = t('offer.approve_failed', { message: failure(error) });
  } finally {
    byId('approve').disabled = false;
    resize();
  }
}

function chooseOutcome() {
  const choice = byId('outcome-form').elements.outcome.value;
  byId('amount-field').hidden = choice !== 'changed';
  byId('reason-field').hidden = choice !== 'declined';
  resize();
}

async function saveOutcome(event) {
  event.preventDefault();
  const form = byId('outcome-form');
  const choice = form.elements.outcome.value;
  const status = byId('outcome-status');
  if (!choice) {
    status.textContent = t('outcome.failed', { message: t('outcome.legend') });
    form.querySelector('input[name="outcome"]').focus();
    return;
  }
  const body = { outcome: choice, agent_id: state.agentId, event_id: state.shown.event_id };
  if (choice === 'changed') {
    const given = byId('given-amount').value;
    body.amount = given === '' ? null : Number(given);
    body.currency = state.shown.offer.currency;
  }
  if (choice === 'declined') body.reason = byId('decline-reason').value.trim() || null;
  byId('save-outcome').disabled = true;
  try {
    const saved = await api('outcome', { type: 'POST', contentType: 'application/json', data: JSON.stringify(body) });
    status.textContent = t('outcome.saved', { outcome: describe(saved) });
  } catch (error) {
    status.textContent = t('outcome.failed', { message: failure(error) });
  } finally {
    byId('save-outcome').disabled = false;
    resize();
  }
}

async function start() {
  try {
    const { currentUser } = await client.get('currentUser');
    state.agentId = currentUser.id;
    state.agentName = currentUser.name || null;
    state.agentRole = typeof currentUser.role === 'string' || typeof currentUser.role === 'number' ? currentUser.role : null;
    state.userLocale = currentUser.locale || 'en';
  } catch (error) {
    state.userLocale = 'en'; // the page still works; outcomes then say the agent is missing
  }
  await loadStrings(state.userLocale);
  byId('retry').addEventListener('click', refresh);
  byId('insert-reply').addEventListener('click', insertReply);
  byId('approve').addEventListener('click', approve);
  byId('outcome-form').addEventListener('change', chooseOutcome);
  byId('outcome-form').addEventListener('submit', saveOutcome);
  client.on('ticket.updated', refresh);
  refresh();
}

start();
