// The hooks page: rebuild the request when the patient, hook, test or prefetch mode changes; send it to the real
// /cds-services/{id} endpoint with a JWT from /sandbox/token; render the cards; send card feedback.
import { closeCard, renderCards } from "./sandbox-cards.js";

const form = document.getElementById("hook-form");
const baseUrl = form.dataset.baseUrl;
const requestBox = document.getElementById("request-body");
const endpoint = document.getElementById("endpoint");
const statusLine = document.getElementById("status");
const cardsBox = document.getElementById("cards");
const raw = document.getElementById("raw-response");
const timing = document.getElementById("timing");
const sendButton = document.getElementById("send");
const testField = document.getElementById("test-field");

function say(message, isError = false) {
  statusLine.textContent = message;
  statusLine.classList.toggle("error", isError);
}

function choices() {
  const data = new FormData(form);
  return new URLSearchParams([...data.entries()].filter(([name]) => data.get("hook") !== "patient-view" || name !== "test"));
}

async function rebuild() {
  testField.hidden = form.elements.hook.value === "patient-view";
  const option = form.elements.patient.selectedOptions[0];
  document.getElementById("patient-story").textContent = option.dataset.story || "no out-of-date results";
  const params = choices();
  const response = await fetch(`${form.dataset.requestUrl}?${params}`, { headers: { Accept: "application/json" } });
  const answer = await response.json();
  if (!response.ok) { say(answer.error ? answer.error.message : `HTTP ${response.status}`, true); return; }
  requestBox.value = JSON.stringify(answer.request, null, 2);
  endpoint.textContent = `${baseUrl}/cds-services/${answer.service}`;
  endpoint.dataset.serviceId = answer.service;
  document.getElementById("service-title").textContent = answer.title;
  history.replaceState(null, "", `?${params}`);
  say("Request ready: edit it if you like, then send it.");
}

async function signedToken(audience) {
  const response = await fetch(form.dataset.tokenUrl, {
    method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ audience, alg: document.getElementById("alg").value }),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error ? answer.error.message : `token endpoint answered ${response.status}`);
  return answer.token;
}

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

function problem(status, text) {
  if (status === 401) return "401 Unauthorized: varshare refused the client JWT (bare 401, as CDS Hooks recommends).";
  try {
    const body = JSON.parse(text);
    const issues = (body.issue || []).map((i) => [i.diagnostics, (i.expression || []).join(", ")].filter(Boolean).join(" at "));
    return `HTTP ${status}: ${issues.join("; ") || "see the raw response"}`;
  } catch { return `HTTP ${status}: see the raw response`; }
}

async function feedback(card, entry, state, message) {
  const path = `/cds-services/${endpoint.dataset.serviceId}/feedback`;
  const item = { card: card.uuid, outcomeTimestamp: new Date().toISOString(), ...entry };
  try {
    const token = await signedToken(baseUrl + path);
    const response = await fetch(path, {
      method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ feedback: [item] }),
    });
    closeCard(state, response.ok ? `${message} Feedback sent to varshare.` : `${message} Feedback refused: HTTP ${response.status}.`);
  } catch (error) {
    closeCard(state, `${message} Feedback could not be sent: ${error.message}`);
  }
}

const handlers = {
  accept(card, suggestion, state) {
    const actions = (suggestion.actions || []).map((a) => `${a.type} ${a.resourceId || ""}`.trim()).join(", ");
    feedback(card, { outcome: "accepted", acceptedSuggestions: [{ id: suggestion.uuid }] }, state,
      `Accepted “${suggestion.label}”${actions ? ` (the EHR would ${actions})` : ""}.`);
  },
  override(card, reason, state) {
    const entry = { outcome: "overridden" };
    if (reason) entry.overrideReason = { reason: { system: reason.system, code: reason.code, display: reason.display } };
    feedback(card, entry, state, `Dismissed${reason ? `: ${reason.display || reason.code}` : ""}.`);
  },
};

async function send() {
  const serviceId = endpoint.dataset.serviceId;
  const path = `/cds-services/${serviceId}`;
  sendButton.disabled = true;
  say("Sending…");
  try {
    const token = await signedToken(baseUrl + path);
    const started = performance.now();
    const response = await fetch(path, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json" },
      body: requestBox.value,
    });
    const text = await response.text();
    const elapsed = performance.now() - started;
    timing.textContent = `HTTP ${response.status} · ${elapsed.toFixed(0)} ms round trip (browser → varshare → browser, JWT verified)`;
    raw.textContent = text ? pretty(text) : "(empty body)";
    if (!response.ok) {
      cardsBox.replaceChildren();
      say(problem(response.status, text), true);
      return;
    }
    const cards = JSON.parse(text).cards || [];
    renderCards(cardsBox, cards, handlers);
    document.getElementById("ehr-h").scrollIntoView({ block: "nearest" });
    say(`${cards.length} card${cards.length === 1 ? "" : "s"} from ${serviceId}.`);
  } catch (error) {
    say(`Could not send the request: ${error.message}`, true);
  } finally {
    sendButton.disabled = false;
  }
}

form.addEventListener("change", () => { rebuild().catch((error) => say(error.message, true)); });
form.addEventListener("submit", (event) => { event.preventDefault(); rebuild().catch((error) => say(error.message, true)); });
sendButton.addEventListener("click", send);
testField.hidden = form.elements.hook.value === "patient-view";
