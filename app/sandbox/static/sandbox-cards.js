// CDS Hooks cards rendered the way an EHR's card panel shows them: indicator (colour and a text label),
// summary, source, Markdown detail, links, suggestions with their actions, and override reasons.
import { renderMarkdown } from "./sandbox-markdown.js";

const INDICATORS = { critical: "Critical", warning: "Warning", info: "Info" };
const SAFE_URL = /^(https?:\/\/|\/(?!\/))/i;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function link(url, label) {
  if (!SAFE_URL.test(url || "")) return element("span", "", label);
  const a = element("a", "", label);
  a.href = url;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

function describeAction(action) {
  const target = action.resourceId || (action.resource && `${action.resource.resourceType || "resource"}`) || "";
  return `${action.type || "?"} ${target}`.trim() + (action.description ? ` — ${action.description}` : "");
}

function suggestionList(card, state, handlers) {
  const list = element("ul", "suggestions");
  for (const suggestion of card.suggestions) {
    const item = element("li");
    const button = element("button", "secondary", suggestion.label || "Apply suggestion");
    button.type = "button";
    button.dataset.role = "suggestion";
    item.appendChild(button);
    if (suggestion.isRecommended) item.appendChild(element("span", "tag", "recommended"));
    const actions = element("ul", "actions-list");
    for (const action of suggestion.actions || []) actions.appendChild(element("li", "", describeAction(action)));
    item.appendChild(actions);
    button.addEventListener("click", () => handlers.accept(card, suggestion, state));
    list.appendChild(item);
  }
  return list;
}

function overrideForm(card, index, state, handlers) {
  const form = element("div", "override");
  const id = `override-${index}`;
  const label = element("label", "", "Dismiss because");
  label.htmlFor = id;
  const select = element("select");
  select.id = id;
  select.appendChild(element("option", "", "(no reason given)")).value = "";
  card.overrideReasons.forEach((reason, i) => {
    select.appendChild(element("option", "", reason.display || reason.code)).value = String(i);
  });
  const button = element("button", "secondary", "Dismiss card");
  button.type = "button";
  button.dataset.role = "dismiss";
  button.addEventListener("click", () => {
    const reason = select.value === "" ? null : card.overrideReasons[Number(select.value)];
    handlers.override(card, reason, state);
  });
  form.append(label, select, button);
  return form;
}

function renderCard(card, index, handlers) {
  const indicator = Object.hasOwn(INDICATORS, card.indicator) ? card.indicator : "info";
  const article = element("article", `card ${indicator}`);
  article.dataset.indicator = card.indicator || "";
  const headingId = `card-${index}-summary`;
  article.setAttribute("aria-labelledby", headingId);
  const head = element("div", "card-head");
  const badge = element("span", `indicator ${indicator}`, INDICATORS[card.indicator] || String(card.indicator));
  const summary = element("h3", "summary", card.summary || "");
  summary.id = headingId;
  head.append(badge, summary);
  article.appendChild(head);
  if (card.source && card.source.label) {
    const source = element("p", "source", "Source: ");
    source.appendChild(card.source.url ? link(card.source.url, card.source.label) : element("span", "", card.source.label));
    if (card.source.topic && card.source.topic.display) source.append(` · ${card.source.topic.display}`);
    article.appendChild(source);
  }
  if (card.detail) {
    const detail = element("div", "detail");
    detail.appendChild(renderMarkdown(card.detail));
    article.appendChild(detail);
  }
  if (Array.isArray(card.links) && card.links.length) {
    const links = element("ul", "links");
    for (const item of card.links) {
      const li = element("li");
      li.appendChild(link(item.url, item.label + (item.type === "smart" ? " (SMART app)" : "")));
      links.appendChild(li);
    }
    article.appendChild(links);
  }
  const state = { done: false, article };
  if (Array.isArray(card.suggestions) && card.suggestions.length) article.appendChild(suggestionList(card, state, handlers));
  if (Array.isArray(card.overrideReasons) && card.overrideReasons.length) {
    article.appendChild(overrideForm(card, index, state, handlers));
  }
  const status = element("p", "card-status");
  status.setAttribute("role", "status");
  article.appendChild(status);
  state.status = status;
  return article;
}

/** Replace the contents of `container` with `cards`; `handlers.accept(card, suggestion, state)` and
 * `handlers.override(card, reason, state)` are called when the clinician acts on a card. */
export function renderCards(container, cards, handlers) {
  container.replaceChildren();
  if (!cards.length) {
    container.appendChild(element("p", "empty", "No cards: varshare has nothing to add for this patient and hook."));
    return;
  }
  cards.forEach((card, index) => container.appendChild(renderCard(card, index, handlers)));
}

/** Mark a card as handled: its buttons are disabled and `message` is announced. */
export function closeCard(state, message) {
  state.done = true;
  state.article.classList.add("done");
  for (const control of state.article.querySelectorAll("button, select")) control.disabled = true;
  state.status.textContent = message;
}
