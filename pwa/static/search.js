/* Puente offline search (search.html). The language's index is precached with its pages, so this
   works with no connection, and the words typed never leave the phone.
   Matching ignores case and accents (imigracion finds inmigración), folds Arabic and Persian letter
   variants, and looks inside words, so it works for languages written without spaces (Chinese).
   A word of five letters or more that is found nowhere may have one typo. A service whose name
   matches ranks above a page that mentions the words in passing. */
(() => {
  "use strict";
  const form = document.getElementById("search-form");
  if (!form) return;
  const input = form.elements.q;
  const status = document.getElementById("search-status");
  // The results list exists only once there are results: no empty list before a search.
  const list = document.createElement("ol");
  list.id = "search-results";
  list.className = "search-results";
  const help = document.getElementById("search-help");
  const lang = document.body.dataset.lang;
  // The help below stays until results take its place: hiding it on load would move the page under the reader.

  const FOLD = { "đ": "d", "ł": "l", "ı": "i", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "ى": "ی", "ي": "ی", "ك": "ک", "ة": "ه", "ـ": "" };
  const MARK = /\p{M}/u;
  const LETTER = /[\p{L}\p{M}\p{N}]/u;
  const CJK = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/;
  const SEPARATORS = /[\s,;:!?¿¡"“”«»()\[\]。，、！？؟،]+/u;

  // A text folded for matching: f[i] comes from text[at[i]] .. text[to[i]], so a match maps back for highlighting.
  function fold(text) {
    let f = "";
    const at = [];
    const to = [];
    let i = 0;
    for (const ch of text) {
      const next = i + ch.length;
      for (const part of ch.toLowerCase().normalize("NFD")) {
        if (MARK.test(part)) continue;
        const out = part in FOLD ? FOLD[part] : part;
        for (let k = 0; k < out.length; k++) { at.push(i); to.push(next); }
        f += out;
      }
      i = next;
    }
    return { text, f, at, to };
  }

  function exact(field, term) {
    const hits = [];
    for (let i = field.f.indexOf(term); i !== -1; i = field.f.indexOf(term, i + term.length)) {
      hits.push([field.at[i], field.to[i + term.length - 1]]);
    }
    return hits;
  }

  // The first stretch of the field within one edit of the term (Sellers' algorithm, tracking where it starts).
  function nearly(field, term) {
    const s = field.f;
    const m = term.length;
    let prev = [], cur = [], prevStart = [], curStart = [];
    for (let k = 0; k <= m; k++) { prev[k] = k; prevStart[k] = 0; }
    for (let j = 0; j < s.length; j++) {
      cur[0] = 0;
      curStart[0] = j + 1;
      for (let k = 1; k <= m; k++) {
        let d = prev[k - 1] + (term[k - 1] === s[j] ? 0 : 1);
        let start = prevStart[k - 1];
        if (prev[k] + 1 < d) { d = prev[k] + 1; start = prevStart[k]; }
        if (cur[k - 1] + 1 < d) { d = cur[k - 1] + 1; start = curStart[k - 1]; }
        cur[k] = d;
        curStart[k] = start;
      }
      if (cur[m] <= 1) return [word(field.text, field.at[curStart[m]], field.to[j])];
      [prev, cur, prevStart, curStart] = [cur, prev, curStart, prevStart];
    }
    return [];
  }

  // A near match is highlighted as the whole word it falls in.
  function word(text, a, b) {
    while (a > 0 && LETTER.test(text[a - 1])) a -= 1;
    while (b < text.length && LETTER.test(text[b])) b += 1;
    return [a, b];
  }

  let docs = null;
  const ready = fetch(form.dataset.index)
    .then((response) => {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    })
    .then((index) => {
      docs = index.docs.map(([path, kind, title, extra, sentences, phones]) => ({
        path, kind, title: fold(title), extra: fold(extra), sentences: sentences.map(fold), phones: phones || [],
      }));
    });

  function run(query) {
    const terms = [...new Set(fold(query).f.split(SEPARATORS))].filter((t) => t.length > 1 || CJK.test(t));
    const fields = (doc) => [doc.title, doc.extra, ...doc.sentences];
    const loose = terms.map((t) => t.length >= 5 && !CJK.test(t) && !docs.some((d) => fields(d).some((f) => f.f.includes(t))));
    const results = [];
    for (const doc of docs) {
      const marks = new Map();
      let score = 0;
      let matched = 0;
      terms.forEach((term, n) => {
        const found = (field, weight) => {
          const hits = loose[n] ? nearly(field, term) : exact(field, term);
          if (!hits.length) return 0;
          marks.set(field, (marks.get(field) || []).concat(hits));
          return weight;
        };
        let best = Math.max(found(doc.title, doc.kind === "s" ? 100 : 60), found(doc.extra, 20));
        const mentions = doc.sentences.filter((s) => found(s, 1)).length;
        if (mentions) best = Math.max(best, 10 + Math.min(mentions - 1, 5));
        if (best) { matched += 1; score += loose[n] ? best / 2 : best; }
      });
      if (matched) results.push({ doc, marks, score: matched * 1000 + score });
    }
    return results.sort((a, b) => b.score - a.score);
  }

  function merged(ranges) {
    const out = [];
    for (const [a, b] of ranges.slice().sort((x, y) => x[0] - y[0])) {
      const last = out[out.length - 1];
      if (last && a <= last[1]) last[1] = Math.max(last[1], b);
      else out.push([a, b]);
    }
    return out;
  }

  function highlighted(tag, field, marks, className) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    let at = 0;
    for (const [a, b] of merged(marks.get(field) || [])) {
      el.append(field.text.slice(at, a));
      const mark = document.createElement("mark");
      mark.textContent = field.text.slice(a, b);
      el.append(mark);
      at = b;
    }
    el.append(field.text.slice(at));
    return el;
  }

  // The sentence to quote: the one with the most matches; else the page's summary or the first sentence.
  function quote({ doc, marks }) {
    const count = (field) => (marks.get(field) || []).length;
    const best = doc.sentences.reduce((a, b) => (count(b) > count(a) ? b : a), doc.sentences[0]);
    if (best && count(best)) return best;
    if (doc.kind === "p" && doc.extra.text) return doc.extra;
    return best;
  }

  function show(query, results) {
    list.textContent = "";
    if (results.length && !list.isConnected) status.after(list);
    else if (!results.length) list.remove();
    status.textContent = query ? (results.length ? status.dataset.results : status.dataset.none).replace("{q}", query) : "";
    help.hidden = results.length > 0;
    for (const result of results.slice(0, 30)) {
      const { doc, marks } = result;
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.className = "result-title";
      link.href = `${document.body.dataset.base || ""}/${lang}/${doc.path}`;
      link.append(highlighted("span", doc.title, marks));
      item.append(link);
      if (doc.kind === "s" && doc.extra.text) item.append(highlighted("p", doc.extra, marks, "result-kind"));
      const sentence = quote(result);
      if (sentence) item.append(highlighted("p", sentence, marks));
      for (const [shown, e164] of doc.phones) {
        const p = document.createElement("p");
        const call = document.createElement("a");
        call.className = "phone";
        call.href = "tel:" + e164;
        const number = document.createElement("bdi");
        number.dir = "ltr";
        number.textContent = shown;
        call.append(number);
        p.append(call);
        item.append(p);
      }
      list.append(item);
    }
  }

  function update() {
    const query = input.value.trim();
    history.replaceState(null, "", query ? "?q=" + encodeURIComponent(query) : location.pathname);
    ready.then(
      () => show(query, query ? run(query) : []),
      () => { status.textContent = status.dataset.failed; help.hidden = false; },
    );
  }

  let timer = 0;
  form.addEventListener("submit", (event) => { event.preventDefault(); update(); });
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(update, 150); });
  input.value = new URLSearchParams(location.search).get("q") || "";
  if (input.value) update();
})();
