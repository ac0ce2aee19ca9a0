// clvdesk ticket sidebar: fetch this ticket's suggestion through Zendesk's proxy and show it.
// The API token is a secure setting: Zendesk's proxy puts it in the request, so the browser never holds it.
// Data reaches the page through textContent only, never as markup.
'use strict';

const RETRY_DELAYS_MS = [3000, 6000, 12000, 24000]; // a 404 means clvdesk has not scored the ticket yet
const PENDING = 'No suggestion yet — clvdesk is still working on this ticket';
const UNREACHABLE = 'clvdesk is unreachable';
const MOOD = { very_negative: 'Very negative', negative: 'Negative', neutral: 'Neutral', positive: 'Positive' };

const client = ZAFClient.init();
const byId = (id) => document.getElementById(id);
let generation = 0; // each refresh bumps it, so an older refresh's retries stop

function money(value, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(value);
  } catch (error) {
    return `${value.toFixed(2)} ${currency}`; // an unknown currency code: show it plainly
  }
}

function fillList(list, items, textOf) {
  list.replaceChildren(...items.map((item) => {
    const entry = document.createElement('li');
    entry.textContent = textOf(item);
    return entry;
  }));
}

function resize() {
  client.invoke('resize', { width: '100%', height: `${document.body.scrollHeight}px` });
}

function showStatus(text) {
  byId('status').textContent = text;
  resize();
}

function show(suggestion) {
  const { customer, sentiment, offer, reasons } = suggestion;
  byId('tier').textContent = customer.known
    ? customer.tier_label
    : `${customer.tier_label} (not in the customer store)`;
  byId('residual-clv').textContent = money(customer.residual_clv, customer.currency);
  byId('historical-spend').textContent = money(customer.historical_spend, customer.currency);
  byId('sentiment').textContent = `${MOOD[sentiment.label] || sentiment.label} (score ${sentiment.score.toFixed(2)})`;
  fillList(byId('signals'), sentiment.signals, (signal) =>
    signal.evidence.length ? `${signal.label}: “${signal.evidence.join('”, “')}”` : signal.label);
  byId('instrument').textContent = offer.instrument_label;
  byId('amount').textContent = offer.amount > 0 ? money(offer.amount, offer.currency) : '';
  byId('approval').textContent = offer.needs_approval
    ? 'Needs approval before you offer it'
    : 'Within your authority: no approval needed';
  fillList(byId('reasons'), reasons, (reason) => reason.text);
  byId('suggestion').hidden = false;
  showStatus('');
}

async function fetchSuggestion(ticketId) {
  try {
    return await client.request({
      url: `{{setting.service_url}}/api/v1/tickets/${encodeURIComponent(ticketId)}/suggestion`,
      type: 'GET',
      headers: { Authorization: 'Bearer {{setting.api_token}}' },
      secure: true,
      dataType: 'json',
    });
  } catch (error) {
    if (error && error.status === 404) return null;
    throw error;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function refresh() {
  const mine = ++generation;
  const current = () => mine === generation;
  try {
    const ticketId = (await client.get('ticket.id'))['ticket.id'];
    for (let attempt = 0; current(); attempt += 1) {
      const suggestion = await fetchSuggestion(ticketId);
      if (!current()) return;
      if (suggestion) return show(suggestion);
      showStatus(PENDING);
      if (attempt >= RETRY_DELAYS_MS.length) return;
      await sleep(RETRY_DELAYS_MS[attempt]);
    }
  } catch (error) {
    if (current()) showStatus(UNREACHABLE);
  }
}

client.on('ticket.updated', refresh);
refresh();
