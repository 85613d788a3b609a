// A small, safe Markdown renderer for CDS card `detail`: paragraphs, headings, bullet and numbered lists,
// GFM tables, **bold**, *emphasis*, `code`, [links](https://...), backslash escapes and HTML entities.
// It builds DOM nodes with createElement/textContent only: no text from a card ever becomes HTML.

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };
const PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const SAFE_URL = /^(https?:\/\/|\/(?!\/)|#)/i;

function entityAt(text, i) {
  const match = /^&(#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z]+);/i.exec(text.slice(i, i + 12));
  if (!match) return null;
  const name = match[1];
  let value = null;
  if (name[0] === "#") {
    const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    if (code > 0 && code <= 0x10ffff) value = String.fromCodePoint(code);
  } else if (Object.hasOwn(ENTITIES, name.toLowerCase())) {
    value = ENTITIES[name.toLowerCase()];
  }
  return value === null ? null : { value, length: match[0].length };
}

// Index of the closing `marker` at or after `from`, skipping backslash-escaped characters; -1 if none.
function closing(text, marker, from) {
  for (let i = from; i < text.length; i += 1) {
    if (text[i] === "\\") { i += 1; continue; }
    if (text.startsWith(marker, i)) return i;
  }
  return -1;
}

/** Append the inline Markdown `text` to `parent` as DOM nodes. */
export function renderInline(parent, text) {
  let buffer = "";
  const flush = () => { if (buffer) { parent.appendChild(document.createTextNode(buffer)); buffer = ""; } };
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === "\\" && i + 1 < text.length && PUNCTUATION.includes(text[i + 1])) { buffer += text[i + 1]; i += 1; continue; }
    if (ch === "&") {
      const entity = entityAt(text, i);
      if (entity) { buffer += entity.value; i += entity.length - 1; continue; }
    }
    if (ch === "`") {
      const end = closing(text, "`", i + 1);
      if (end > i) { flush(); const code = document.createElement("code"); code.textContent = text.slice(i + 1, end); parent.appendChild(code); i = end; continue; }
    }
    if (text.startsWith("**", i) || text.startsWith("__", i)) {
      const marker = text.slice(i, i + 2);
      const end = closing(text, marker, i + 2);
      if (end > i + 2) { flush(); const strong = document.createElement("strong"); renderInline(strong, text.slice(i + 2, end)); parent.appendChild(strong); i = end + 1; continue; }
    }
    if ((ch === "*" || (ch === "_" && !/\w/.test(text[i - 1] || ""))) && text[i + 1] !== " ") {
      const end = closing(text, ch, i + 1);
      if (end > i + 1) { flush(); const em = document.createElement("em"); renderInline(em, text.slice(i + 1, end)); parent.appendChild(em); i = end; continue; }
    }
    if (ch === "[") {
      const labelEnd = closing(text, "]", i + 1);
      if (labelEnd > i && text[labelEnd + 1] === "(") {
        const urlEnd = text.indexOf(")", labelEnd + 2);
        const url = urlEnd > 0 ? text.slice(labelEnd + 2, urlEnd).trim() : "";
        if (urlEnd > 0 && SAFE_URL.test(url) && !/\s/.test(url)) {
          flush();
          const a = document.createElement("a");
          a.href = url;
          a.target = "_blank";
          a.rel = "noopener noreferrer";
          renderInline(a, text.slice(i + 1, labelEnd));
          parent.appendChild(a);
          i = urlEnd;
          continue;
        }
      }
    }
    buffer += ch;
  }
  flush();
}

// Split a table row on unescaped pipes, dropping the outer ones.
function cells(line) {
  const out = [];
  let current = "";
  const body = line.trim().replace(/^\|/, "");
  for (let i = 0; i < body.length; i += 1) {
    if (body[i] === "\\" && body[i + 1] === "|") { current += "\\|"; i += 1; continue; }
    if (body[i] === "|") { out.push(current.trim()); current = ""; continue; }
    current += body[i];
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

const isDelimiter = (line) => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line);
const LIST_ITEM = /^\s*([-*+]|\d{1,9}[.)])\s+(.*)$/;

function table(lines) {
  const element = document.createElement("table");
  const head = element.createTHead().insertRow();
  for (const text of cells(lines[0])) {
    const th = document.createElement("th");
    th.scope = "col";
    renderInline(th, text);
    head.appendChild(th);
  }
  const body = element.createTBody();
  for (const line of lines.slice(2)) {
    const row = body.insertRow();
    for (const text of cells(line)) renderInline(row.insertCell(), text);
  }
  return element;
}

/** Render the Markdown `source` into a DocumentFragment. */
export function renderMarkdown(source) {
  const fragment = document.createDocumentFragment();
  const lines = String(source || "").replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i += 1; continue; }
    if (line.trim().startsWith("|") && i + 1 < lines.length && isDelimiter(lines[i + 1])) {
      const block = [line, lines[i + 1]];
      i += 2;
      while (i < lines.length && lines[i].trim().startsWith("|")) { block.push(lines[i]); i += 1; }
      fragment.appendChild(table(block));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const h = document.createElement(`h${Math.min(6, heading[1].length + 3)}`);
      renderInline(h, heading[2]);
      fragment.appendChild(h);
      i += 1;
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      const list = document.createElement(/\d/.test(item[1]) ? "ol" : "ul");
      while (i < lines.length && LIST_ITEM.test(lines[i])) {
        const li = document.createElement("li");
        renderInline(li, LIST_ITEM.exec(lines[i])[2]);
        list.appendChild(li);
        i += 1;
      }
      fragment.appendChild(list);
      continue;
    }
    const paragraph = [];
    while (i < lines.length && lines[i].trim() && !LIST_ITEM.test(lines[i]) && !/^#{1,6}\s/.test(lines[i])
           && !(lines[i].trim().startsWith("|") && i + 1 < lines.length && isDelimiter(lines[i + 1]))) {
      paragraph.push(lines[i].trim());
      i += 1;
    }
    const p = document.createElement("p");
    renderInline(p, paragraph.join(" "));
    fragment.appendChild(p);
  }
  return fragment;
}
