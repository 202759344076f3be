// The seqgpt page: a small form per task, a request with only the fields the user filled,
// /v1/<task>, and the answer drawn (spans highlighted, label scores as bars, the JSON).
// Everything user-supplied goes into the page with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);

// Field kinds: how a form control becomes a JSON value.
//   text: a textarea, sent as is      labels: "a, b" -> ["a", "b"]   lines: one item a line
//   number: a number                  span: "3:9" -> [3, 9], else the mention's text
//   roles: "attack: attacker, target" lines -> {"attack": ["attacker", "target"]}
//   schema: "person: name, age" / "company: array" / "date: string" lines -> a JSON schema
const FORMS = {
  extract: {
    summary: "the spans of the text that answer each label",
    fields: [{name: "text", kind: "text"}, {name: "labels", kind: "labels", hint: "person, city"}],
    examples: {
      English: {text: "Tim Cook visited Beijing on Monday to meet officials of Alibaba.",
                labels: "person, city, company, date"},
      中文: {text: "阿里巴巴集团于1999年在杭州成立，创始人是马云。", labels: "公司，城市，人物，时间"},
    },
  },
  classify: {
    summary: "the labels that apply to the whole text",
    fields: [{name: "text", kind: "text"}, {name: "labels", kind: "labels", hint: "positive, negative"}],
    examples: {
      sentiment: {text: "The food was great but the service was painfully slow.",
                  labels: "positive, negative, neutral"},
      中文: {text: "这家餐厅的菜很好吃，服务也很周到。", labels: "正面，负面"},
    },
  },
  ner: {
    summary: "named entities of the given types",
    fields: [{name: "text", kind: "text"}, {name: "types", kind: "labels", hint: "person, city"}],
    examples: {English: {text: "Angela Merkel met Emmanuel Macron in Paris.", types: "person, city"},
               中文: {text: "马云在杭州创办了阿里巴巴。", types: "人物，城市，公司"}},
  },
  entity_type: {
    summary: "the type of one mention",
    fields: [{name: "text", kind: "text"},
             {name: "span", kind: "span", label: "mention", hint: "its text, or start:end"},
             {name: "types", kind: "labels", hint: "person, city, company"}],
    examples: {English: {text: "Tim Cook, CEO of Apple, visited Beijing.", span: "Apple",
                         types: "person, city, company"}},
  },
  relations: {
    summary: "entities, then the relation of each pair",
    fields: [{name: "text", kind: "text"},
             {name: "relation_types", kind: "labels", label: "relation types", hint: "works for, born in"},
             {name: "entity_types", kind: "labels", label: "entity types", optional: true,
              hint: "default: person, organization, location"},
             {name: "min_score", kind: "number", label: "min score", optional: true, min: 0, max: 1,
              step: 0.05, hint: "0.5"},
             {name: "max_pairs", kind: "number", label: "max pairs", optional: true, min: 1,
              max: 256, step: 1, hint: "128"},
             {name: "max_distance", kind: "number", label: "max distance", optional: true, min: 1,
              step: 1, hint: "400 characters"}],
    examples: {English: {text: "Tim Cook works for Apple.", relation_types: "works for",
                         entity_types: "person, company"}},
  },
  events: {
    summary: "event triggers, then their arguments by role",
    fields: [{name: "text", kind: "text"},
             {name: "schema", kind: "roles", label: "events and roles",
              hint: "one event type a line: acquisition: buyer, target, price"}],
    examples: {English: {text: "Apple bought Beats for $3 billion in 2014.",
                         schema: "acquisition: buyer, target, price, date"}},
  },
  answer: {
    summary: "answers to questions, as spans of the context",
    fields: [{name: "context", kind: "text"},
             {name: "questions", kind: "lines", hint: "one question a line"}],
    examples: {English: {context: "Tim Cook visited Beijing in May.",
                         questions: "Who visited Beijing?\nWhen?"}},
  },
  slots: {
    summary: "slot values and the intent",
    fields: [{name: "text", kind: "text"}, {name: "slots", kind: "labels", hint: "party size, date"},
             {name: "intents", kind: "labels", optional: true, hint: "book restaurant, get weather"}],
    examples: {English: {text: "book a table for two tomorrow", slots: "party size, date",
                         intents: "book restaurant, get weather"}},
  },
  nli: {
    summary: "does the premise entail, contradict or leave open the hypothesis",
    fields: [{name: "premise", kind: "text"}, {name: "hypothesis", kind: "text", rows: 2},
             {name: "labels", kind: "labels", optional: true,
              hint: "default: entailment, neutral, contradiction"}],
    examples: {English: {premise: "A man plays a guitar on stage.",
                         hypothesis: "A person is making music."}},
  },
  sentiment: {
    summary: "the sentiment of the text",
    fields: [{name: "text", kind: "text"},
             {name: "labels", kind: "labels", optional: true, hint: "default: positive, negative"}],
    examples: {English: {text: "I loved it, the best film this year."}},
  },
  topic: {
    summary: "the topic of the text",
    fields: [{name: "text", kind: "text"}, {name: "topics", kind: "labels", hint: "sports, politics"}],
    examples: {English: {text: "The striker scored twice in the second half.",
                         topics: "sports, politics, business"}},
  },
  extract_json: {
    summary: "objects shaped by a schema (the answer always validates against it)",
    fields: [{name: "text", kind: "text"},
             {name: "schema", kind: "schema",
              hint: "one key a line: person: name, employer / company: array / date: string"}],
    examples: {English: {text: "Tim Cook, CEO of Apple, visited Beijing on Monday.",
                         schema: "person: name, employer\ncity: string\ncompany: array"}},
  },
};

const available = new Set(["extract", "classify"]);

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

function form() {
  return FORMS[$("task").value];
}

// ------------------------------------------------------------------ the form of a task
function buildForm() {
  const spec = form();
  const box = $("fields");
  const kept = {};  // what the user typed survives a change of task where a field fits
  for (const node of box.querySelectorAll("[data-field]")) {
    if (node.dataset.kind !== "text") kept[node.dataset.field] = node.value;
    else if (kept.text === undefined) kept.text = node.value;  // the main text: first one
  }
  box.replaceChildren();
  for (const field of spec.fields) {
    const id = `field-${field.name}`;
    const label = el("label", null, field.label ?? field.name.replace("_", " "));
    label.htmlFor = id;
    if (field.optional) label.append(el("small", null, " (optional)"));
    if (field.kind === "labels") label.append(el("small", null, " separated by , or ，"));
    const multiline = ["text", "lines", "roles", "schema"].includes(field.kind);
    const input = el(multiline ? "textarea" : "input");
    if (multiline) input.rows = field.rows ?? (field.kind === "text" ? 5 : 3);
    else input.type = field.kind === "number" ? "number" : "text";
    for (const key of ["min", "max", "step"]) if (field[key] !== undefined) input[key] = field[key];
    input.id = id;
    input.dataset.field = field.name;
    input.dataset.kind = field.kind;
    input.placeholder = field.hint ?? (field.kind === "text" ? "Paste a text" : "");
    if (field.kind === "roles" || field.kind === "schema") input.spellcheck = false;
    const before = field.kind === "text" && field.name !== "hypothesis" ? kept.text : kept[field.name];
    if (before) input.value = before;
    box.append(label, input);
  }
  $("summary").textContent = spec.summary;
  const buttons = $("example-buttons");
  buttons.replaceChildren();
  for (const name of Object.keys(spec.examples ?? {})) {
    const button = el("button", "link", name);
    button.type = "button";
    button.dataset.example = name;
    button.addEventListener("click", () => fillExample(name));
    buttons.append(button);
  }
}

function fillExample(name) {
  const example = form().examples[name];
  for (const node of $("fields").querySelectorAll("[data-field]")) {
    node.value = example[node.dataset.field] ?? "";
  }
}

class FieldError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

function valueOf(node) {
  const raw = node.value.trim();
  const name = node.dataset.field;
  switch (node.dataset.kind) {
    case "text": return node.value;
    case "labels": return splitLabels(raw);
    case "lines": return raw.split("\n").map((s) => s.trim()).filter(Boolean);
    case "number": {
      const number = Number(raw);
      if (!Number.isFinite(number)) throw new FieldError(name, `${name} must be a number`);
      return number;
    }
    case "span": {
      const offsets = raw.match(/^(\d+)\s*:\s*(\d+)$/);
      return offsets ? [Number(offsets[1]), Number(offsets[2])] : raw;
    }
    case "roles":
    case "schema": return keyedLines(raw, name, node.dataset.kind);
    default: return raw;
  }
}

// "key: a, b" lines. roles: {key: [a, b]}. schema: "string" and "array" are kinds, anything
// else is an object's fields.
function keyedLines(raw, name, kind) {
  const out = {};
  for (const line of raw.split("\n").map((s) => s.trim()).filter(Boolean)) {
    const at = line.search(/[:：]/);
    if (at <= 0) throw new FieldError(name, `${name}: write each line as "key: ${kind === "roles" ? "role, role" : "string | array | field, field"}" (got "${line}")`);
    const key = line.slice(0, at).trim();
    const rest = line.slice(at + 1).trim();
    if (kind === "roles") out[key] = splitLabels(rest);
    else out[key] = rest === "string" || rest === "array" || rest === "" ? (rest || "string")
                                                                        : splitLabels(rest);
  }
  return out;
}

// The request body: only what the user filled in (an empty optional field is left out, so the
// server's default applies).
function request() {
  const task = $("task").value;
  const body = {};
  for (const node of $("fields").querySelectorAll("[data-field]")) {
    if (!node.value.trim()) continue;
    const value = valueOf(node);
    if (Array.isArray(value) && !value.length) continue;
    if (value && typeof value === "object" && !Array.isArray(value) && !Object.keys(value).length) continue;
    body[node.dataset.field] = value;
  }
  if ($("use-threshold").checked) body.threshold = Number($("threshold").value);
  return [task, body];
}

// ------------------------------------------------------------------ running it
function clearResults() {
  for (const id of ["highlighted", "bars", "legend"]) $(id).replaceChildren();
  $("json").textContent = "";
  $("request-json").textContent = "";
  $("results").hidden = true;
}

function showError(message, field) {
  clearResults();
  $("error").textContent = message;
  $("error").hidden = false;
  const name = (field || "").match(/^[A-Za-z_]+/)?.[0];
  const target = name && $("fields").querySelector(`[data-field="${name}"]`);
  if (target) target.classList.add("invalid");
}

async function run(event) {
  event.preventDefault();
  for (const node of document.querySelectorAll(".invalid")) node.classList.remove("invalid");
  $("error").hidden = true;
  let task, body;
  try {
    [task, body] = request();
  } catch (err) {
    showError(err.message, err.field);
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

// ------------------------------------------------------------------ drawing the answer
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
  let results = answer.results ?? (Array.isArray(answer.result) ? answer.result : [answer.result]);
  // One context's answers are one list: keep it together, so its spans share the context.
  if (task === "answer" && typeof body.context === "string") results = [answer.result];
  const sources = [].concat(body.text ?? body.context ?? body.premise ?? []);
  const labelsField = form().fields.find((f) => f.kind === "labels" && !f.optional)
    ?? form().fields.find((f) => f.kind === "labels");
  const labelOrder = labelsField && Array.isArray(body[labelsField.name]) ? body[labelsField.name] : [];
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
    if (typeof text === "string" && (spans.length || task === "extract")) {
      docs.append(highlight(text, spans, colourOf));
    }
    for (const s of spans) seen.set(s.label, (seen.get(s.label) || 0) + 1);
    const scores = result?.scores ?? result?.intent_scores;  // classify-like results, slots
    if (scores) {
      const chosen = result.labels ?? [result.intent ?? result.label];
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
  $("request-json").textContent = `POST /v1/${task}\n${JSON.stringify(body, null, 2)}`;
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

// ------------------------------------------------------------------ start
async function init() {
  $("form").addEventListener("submit", run);
  $("form").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) $("form").requestSubmit();
  });
  $("task").addEventListener("change", () => { clearResults(); $("error").hidden = true; buildForm(); });
  $("use-threshold").addEventListener("change", () => {
    $("threshold").disabled = !$("use-threshold").checked;
    $("threshold-value").textContent = $("use-threshold").checked ? $("threshold").value : "model default";
  });
  $("threshold").addEventListener("input", () => { $("threshold-value").textContent = $("threshold").value; });
  buildForm();
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
    for (const {name} of (await listed.json()).tasks) {
      // A task this page has no form for is left to the API docs.
      if (!available.has(name) && FORMS[name]) {
        available.add(name);
        select.append(new Option(name.replace("_", " "), name));
      }
    }
  }
}

init();
