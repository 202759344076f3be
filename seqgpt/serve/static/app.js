// The seqgpt page: builds a request from the form, calls /v1/<task>, draws the answer.
// Everything user-supplied goes into the page with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const TEXT_FIELDS = ["text", "context", "premise"];
const LABEL_FIELDS = ["labels", "types", "relation_types", "topics", "questions", "slots"];
const EXAMPLES = {
  en: ["extract", "Tim Cook visited Beijing on Monday to meet officials of Alibaba.",
       "person, city, company, date"],
  zh: ["extract", "阿里巴巴集团于1999年在杭州成立，创始人是马云。", "公司，城市，人物，时间"],
  cls: ["classify", "The food was great but the service was painfully slow.",
        "positive, negative, neutral"],
};

let tasks = {extract: ["text", "labels"], classify: ["text", "labels"]};
let bodyEdited = false;

function splitLabels(raw) {
  return raw.split(/[,，]/).map((s) => s.trim()).filter(Boolean);
}

function colour(index) {
  const hue = Math.round((index * 137.508 + 210) % 360);
  return {bg: `hsl(${hue} 85% 88%)`, line: `hsl(${hue} 55% 38%)`};
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function paint(node, c) {
  node.style.setProperty("--c-bg", c.bg);
  node.style.setProperty("--c-line", c.line);
  return node;
}

function isAtomic(task) {
  return task === "extract" || task === "classify";
}

// The body for a composite task, guessed from its field names; the user can edit it.
function defaultBody(task) {
  const text = $("text").value;
  const labels = splitLabels($("labels").value);
  const body = {};
  for (const field of tasks[task] || []) {
    if (TEXT_FIELDS.includes(field)) body[field] = text;
    else if (LABEL_FIELDS.includes(field)) body[field] = labels;
    else if (field === "schema") body[field] = Object.fromEntries(labels.map((l) => [l, []]));
    else body[field] = "";
  }
  return body;
}

function syncForm() {
  const task = $("task").value;
  $("body-box").hidden = isAtomic(task);
  $("threshold").closest(".row").hidden = !isAtomic(task);
  if (!isAtomic(task) && !bodyEdited) {
    $("body").value = JSON.stringify(defaultBody(task), null, 2);
  }
}

function request() {
  const task = $("task").value;
  if (!isAtomic(task)) return [task, JSON.parse($("body").value)];
  const body = {text: $("text").value, labels: splitLabels($("labels").value)};
  if ($("use-threshold").checked) body.threshold = Number($("threshold").value);
  return [task, body];
}

function showError(message, field) {
  $("error").textContent = message;
  $("error").hidden = false;
  const target = field && (field.startsWith("labels") ? "labels" : field.startsWith("text") ? "text"
    : isAtomic($("task").value) ? null : "body");
  if (target) $(target).classList.add("invalid");
}

async function run(event) {
  event.preventDefault();
  for (const node of document.querySelectorAll(".invalid")) node.classList.remove("invalid");
  $("error").hidden = true;
  let task, body;
  try {
    [task, body] = request();
  } catch (err) {
    showError(`The request body is not valid JSON: ${err.message}`, "body");
    return;
  }
  const headers = {"Content-Type": "application/json"};
  const key = $("api-key").value || sessionStorage.getItem("seqgpt-key");
  if (key) headers.Authorization = `Bearer ${key}`;
  $("run").disabled = true;
  const started = performance.now();
  try {
    const response = await fetch(`/v1/${task}`, {method: "POST", headers, body: JSON.stringify(body)});
    const answer = await response.json().catch(() => ({error: {message: response.statusText}}));
    $("timing").textContent = `${response.status} · ${Math.round(performance.now() - started)} ms`;
    if (response.status === 401) $("key-box").hidden = false;
    if (!response.ok) {
      const e = answer.error || {};
      showError(e.message || `HTTP ${response.status}`, e.field);
      return;
    }
    if (key) sessionStorage.setItem("seqgpt-key", key);
    draw(task, body, answer);
  } catch (err) {
    showError(`Could not reach the server: ${err.message}`);
  } finally {
    $("run").disabled = false;
  }
}

// Any object with a text and numeric start/end inside a result is a span to highlight.
function collectSpans(value, label, out) {
  if (Array.isArray(value)) {
    for (const item of value) collectSpans(item, label, out);
  } else if (value && typeof value === "object") {
    if (typeof value.start === "number" && typeof value.end === "number"
        && typeof value.text === "string") {
      out.push({...value, label: value.label ?? value.type ?? label ?? "span"});
    }
    for (const [k, v] of Object.entries(value)) {
      if (k !== "unmatched" && typeof v === "object") collectSpans(v, value.type ?? k, out);
    }
  }
  return out;
}

function draw(task, body, answer) {
  const results = answer.results ?? (Array.isArray(answer.result) ? answer.result : [answer.result]);
  const sources = [].concat(body.text ?? body.context ?? body.premise ?? []);
  const labelOrder = splitLabels($("labels").value);
  const colours = new Map();
  const colourOf = (label) => {
    if (!colours.has(label)) {
      const known = labelOrder.indexOf(label);
      colours.set(label, colour(known >= 0 ? known : labelOrder.length + colours.size));
    }
    return colours.get(label);
  };
  const docs = $("highlighted");
  const bars = $("bars");
  docs.replaceChildren();
  bars.replaceChildren();
  const seen = new Map();
  results.forEach((result, i) => {
    const text = typeof result?.text === "string" ? result.text : sources[i];
    const spans = task === "extract" ? result.spans : collectSpans(result, null, []);
    if (typeof text === "string" && spans.length) docs.append(highlight(text, spans, colourOf));
    else if (task === "extract") docs.append(highlight(text, [], colourOf));
    for (const s of spans) seen.set(s.label, (seen.get(s.label) || 0) + 1);
    const scores = result?.scores ?? result?.intent_scores;  // classify-like results, slots
    if (scores) {
      const chosen = result.labels ?? [result.intent];
      bars.append(scoreBars(scores, chosen, results.length > 1 ? text : null, colourOf));
    }
  });
  const legend = $("legend");
  legend.replaceChildren();
  const legendLabels = task === "extract" ? [...new Set([...labelOrder, ...seen.keys()])] : [...seen.keys()];
  for (const label of legendLabels) {
    legend.append(paint(el("span", "chip", `${label} · ${seen.get(label) || 0}`), colourOf(label)));
  }
  $("spans-box").hidden = docs.childElementCount === 0;
  $("bars-box").hidden = bars.childElementCount === 0;
  $("json").textContent = JSON.stringify(answer, null, 2);
  $("results").hidden = false;
}

// Spans as nested <mark>s: sorted by start, longer first, so a span inside another nests.
function highlight(text, spans, colourOf) {
  const doc = el("div", "doc");
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  let index = 0;
  const fill = (parent, from, to) => {
    let at = from;
    while (index < sorted.length && sorted[index].start < to) {
      const span = sorted[index++];
      if (span.start < at || span.end > to) continue;  // crossing spans cannot nest: skip
      if (span.start > at) parent.append(text.slice(at, span.start));
      const mark = paint(el("mark", "span"), colourOf(span.label));
      mark.dataset.label = span.label;
      const score = typeof span.score === "number" ? span.score.toFixed(2) : "";
      mark.title = `${span.label}${score ? ` (${score})` : ""}`;
      fill(mark, span.start, span.end);
      const tag = el("span", "tag", span.label);
      if (score) tag.append(el("span", "score", score));
      mark.append(tag);
      parent.append(mark);
      at = span.end;
    }
    if (at < to) parent.append(text.slice(at, to));
  };
  fill(doc, 0, text.length);
  return doc;
}

function scoreBars(scores, chosenLabels, title, colourOf) {
  const box = el("div", "bars");
  if (title) box.append(el("div", "title", title));
  const chosen = new Set(chosenLabels);
  const ranked = Object.entries(scores).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0));
  for (const [label, score] of ranked) {
    const row = paint(el("div", chosen.has(label) ? "bar chosen" : "bar"), colourOf(label));
    row.dataset.label = label;
    const track = el("div", "track");
    const fillBar = el("div", "fill");
    fillBar.style.width = `${Math.round(100 * Math.max(0, Math.min(1, score ?? 0)))}%`;
    track.append(fillBar);
    row.append(el("span", "name", label), track,
               el("span", "value", score === null ? "–" : score.toFixed(3)));
    box.append(row);
  }
  return box;
}

async function init() {
  for (const button of document.querySelectorAll("[data-example]")) {
    button.addEventListener("click", () => {
      const [task, text, labels] = EXAMPLES[button.dataset.example];
      $("task").value = task;
      $("text").value = text;
      $("labels").value = labels;
      bodyEdited = false;
      syncForm();
    });
  }
  $("form").addEventListener("submit", run);
  $("form").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) $("form").requestSubmit();
  });
  $("task").addEventListener("change", syncForm);
  $("text").addEventListener("input", syncForm);
  $("labels").addEventListener("input", syncForm);
  $("body").addEventListener("input", () => { bodyEdited = true; });
  $("use-threshold").addEventListener("change", () => {
    $("threshold").disabled = !$("use-threshold").checked;
    $("threshold-value").textContent = $("use-threshold").checked ? $("threshold").value : "model default";
  });
  $("threshold").addEventListener("input", () => { $("threshold-value").textContent = $("threshold").value; });
  try {
    const ready = await (await fetch("/readyz")).json();
    $("status").textContent = ready.status === "ready" ? `model: ${ready.model}` : `model ${ready.status}`;
  } catch {
    $("status").textContent = "server unreachable";
  }
  const listed = await fetch("/v1/tasks").catch(() => null);
  if (listed && listed.status === 401) $("key-box").hidden = false;
  if (listed && listed.ok) {
    const select = $("task");
    for (const {name, fields} of (await listed.json()).tasks) {
      tasks[name] = fields;
      if (!isAtomic(name)) select.append(new Option(name, name));
    }
  }
  syncForm();
}

init();
