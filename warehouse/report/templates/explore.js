/* blogscope report: the Explore part. Reads the JSON in #report-data, filters it by site and dates,
   draws Vega-Lite charts (hover: tooltips; click: drill down) and fills the topic, post and thread
   tables. All text goes in through textContent or Vega's own escaping, never as HTML. The Vega view
   objects stay in this closure (never on window). */
(() => {
  'use strict';
  const D = JSON.parse(document.getElementById('report-data').textContent);
  const byId = (id) => document.getElementById(id);
  const state = {site: '', from: '', to: '', topic: null, post: null};
  const views = {};
  let generation = 0;
  const TONES = ['negative', 'neutral', 'positive'];
  const TONE_COLOURS = ['#d95f02', '#b8bec6', '#1b6ca8'];
  const LATE_HOURS = (D.lateDays || 30) * 24;
  const topicNames = D.topics.map((t) => t.name);
  const topicColours = D.topics.map((t) => t.colour);
  // VADER's usual cut-offs: compound <= -0.05 negative, >= 0.05 positive.
  const toneOf = (c) => (c == null ? null : c <= -0.05 ? 'negative' : c >= 0.05 ? 'positive' : 'neutral');
  const toneWord = (m) => (m == null ? '–' : `${toneOf(m)} (${m >= 0 ? '+' : ''}${m.toFixed(2)})`);
  const day = (iso) => (iso ? iso.slice(0, 10) : null);

  function inRange(d) {
    if (!state.from && !state.to) return true;
    if (!d) return false;
    return (!state.from || d >= state.from) && (!state.to || d <= state.to);
  }
  const siteOk = (p) => !state.site || p.s === state.site;
  const postShown = (p) => p.p && siteOk(p) && inRange(p.d);
  function commentShown(c) {
    const p = D.posts[c[0]];
    return p !== undefined && siteOk(p) && inRange(day(c[1]));
  }
  const topicOf = (p) => D.topics[p.k >= 0 ? p.k : D.topics.length - 1];

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text != null) node.textContent = text;
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  // ---------------------------------------------------------------- aggregation
  function aggregate() {
    const posts = D.posts.map((p, i) => ({...p, i})).filter(postShown);
    const comments = D.comments.filter(commentShown);
    const perMonth = new Map(); const perTopic = new Map(); const tone = new Map(); const late = new Map();
    for (const c of comments) {
      const p = D.posts[c[0]]; const t = topicOf(p); const month = c[1] ? c[1].slice(0, 7) : null;
      if (month) {
        const key = `${month}|${t.i}`;
        perMonth.set(key, (perMonth.get(key) || 0) + 1);
      }
      const agg = perTopic.get(t.i) || {comments: 0, posts: 0, toneSum: 0, scored: 0};
      agg.comments += 1;
      if (c[6] != null) { agg.toneSum += c[6]; agg.scored += 1; }
      perTopic.set(t.i, agg);
      const w = toneOf(c[6]);
      if (w) tone.set(`${t.i}|${w}`, (tone.get(`${t.i}|${w}`) || 0) + 1);
      if (month && c[5] != null && c[5] > LATE_HOURS) late.set(`${month}|${t.i}`, (late.get(`${month}|${t.i}`) || 0) + 1);
    }
    for (const p of posts) {
      const t = topicOf(p);
      const agg = perTopic.get(t.i) || {comments: 0, posts: 0, toneSum: 0, scored: 0};
      agg.posts += 1;
      perTopic.set(t.i, agg);
    }
    return {posts, comments, perMonth, perTopic, tone, late};
  }

  // ---------------------------------------------------------------- charts
  const colour = {field: 'topic', type: 'nominal', title: 'topic',
    scale: {domain: topicNames, range: topicColours}, legend: null};
  const base = (values, extra) => ({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json', data: {values},
    width: 'container', autosize: {type: 'fit-x', contains: 'padding'}, config: {font: 'system-ui, sans-serif', axis: {labelLimit: 0}, view: {stroke: null}}, ...extra});

  function monthRows(map) {
    return [...map].map(([key, n]) => {
      const [month, k] = key.split('|');
      return {month, topic: D.topics[+k].name, k: +k, comments: n};
    }).sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : a.k - b.k));
  }

  function specs(a) {
    const topics = [...a.perTopic].map(([k, v]) => ({
      k, topic: D.topics[k].name, label: D.topics[k].short, comments: v.comments, posts: v.posts,
      tone: v.scored ? Math.round((v.toneSum / v.scored) * 100) / 100 : null,
    })).filter((r) => r.comments || r.posts).sort((x, y) => y.comments - x.comments || y.posts - x.posts);
    const toneRows = [];
    for (const [key, n] of a.tone) {
      const [k, tone] = key.split('|'); const total = a.perTopic.get(+k).scored || 1;
      toneRows.push({k: +k, topic: D.topics[+k].name, label: D.topics[+k].short, tone, comments: n,
        share: Math.round((n / total) * 1000) / 10});
    }
    const top = [...a.posts].sort((x, y) => y.c - x.c || (x.t < y.t ? -1 : 1)).filter((p) => p.c > 0).slice(0, 15)
      .map((p) => ({pi: p.i, label: p.l, title: p.t, site: p.s || '–', published: p.d || '–', comments: p.c,
        topic: topicOf(p).name, k: topicOf(p).i}));
    const barY = (field, n) => ({height: Math.max(60, 22 * n)});
    return {
      'chart-time': base(monthRows(a.perMonth), {height: 220, mark: {type: 'bar', tooltip: true, cursor: 'pointer'},
        encoding: {x: {field: 'month', type: 'ordinal', title: 'month written'},
          y: {field: 'comments', type: 'quantitative', title: 'comments', stack: 'zero'}, color: colour,
          order: {field: 'k'},
          tooltip: [{field: 'month'}, {field: 'topic'}, {field: 'comments', type: 'quantitative'}]}}),
      'chart-topics': base(topics, {...barY('label', topics.length), mark: {type: 'bar', tooltip: true, cursor: 'pointer'},
        encoding: {y: {field: 'label', type: 'nominal', sort: null, title: null},
          x: {field: 'comments', type: 'quantitative', title: 'comments written'}, color: colour,
          tooltip: [{field: 'topic'}, {field: 'comments', type: 'quantitative'},
            {field: 'posts', type: 'quantitative', title: 'posts published'},
            {field: 'tone', type: 'quantitative', title: 'mean tone (-1 to +1)'}]}}),
      'chart-tone': base(toneRows, {...barY('label', new Set(toneRows.map((r) => r.k)).size),
        mark: {type: 'bar', tooltip: true, cursor: 'pointer'},
        encoding: {y: {field: 'label', type: 'nominal', title: null},
          x: {field: 'comments', type: 'quantitative', stack: 'normalize', title: 'share of scored comments',
            axis: {format: '%'}},
          color: {field: 'tone', type: 'nominal', scale: {domain: TONES, range: TONE_COLOURS},
            legend: {orient: 'bottom', title: null}},
          order: {field: 'tone'},
          tooltip: [{field: 'topic'}, {field: 'tone'}, {field: 'comments', type: 'quantitative'},
            {field: 'share', type: 'quantitative', title: 'share (%)'}]}}),
      'chart-posts': base(top, {...barY('label', top.length), mark: {type: 'bar', tooltip: true, cursor: 'pointer'},
        encoding: {y: {field: 'label', type: 'nominal', sort: null, title: null},
          x: {field: 'comments', type: 'quantitative', title: 'comments'}, color: colour,
          tooltip: [{field: 'title'}, {field: 'site'}, {field: 'published'}, {field: 'topic'},
            {field: 'comments', type: 'quantitative'}]}}),
      'chart-late': base(monthRows(a.late), {height: 160, mark: {type: 'bar', tooltip: true, cursor: 'pointer'},
        encoding: {x: {field: 'month', type: 'ordinal', title: 'month written'},
          y: {field: 'comments', type: 'quantitative', title: 'late comments'},
          color: colour, order: {field: 'k'},
          tooltip: [{field: 'month'}, {field: 'topic'},
            {field: 'comments', type: 'quantitative', title: `comments over ${D.lateDays || 30} days after the post`}]}}),
    };
  }

  function onChartClick(event, item) {
    const d = item && item.datum;
    if (!d) return;
    if (d.pi != null) selectPost(d.pi);
    else if (d.k != null) selectTopic(d.k);
  }

  function drawCharts(a) {
    const mine = ++generation;
    const all = Object.entries(specs(a)).map(([id, spec]) => {
      const target = byId(id);
      if (views[id]) { views[id].finalize(); delete views[id]; }
      target.textContent = '';
      // What the chart holds, for readers of the DOM (and the browser tests): rows and comments drawn.
      target.dataset.rows = String(spec.data.values.length);
      target.dataset.total = String(spec.data.values.reduce((sum, r) => sum + r.comments, 0));
      if (!spec.data.values.length) {
        target.appendChild(el('p', 'No data for this filter.', {class: 'nodata'}));
        return Promise.resolve();
      }
      return vegaEmbed(target, spec, {
        ast: true, actions: false, renderer: 'svg', defaultStyle: false,
        tooltip: {disableDefaultStyle: true, theme: 'custom'},
      }).then((result) => {
        if (mine !== generation) { result.finalize(); return; }
        views[id] = result;
        result.view.addEventListener('click', onChartClick);
      });
    });
    return Promise.all(all).then(() => {
      if (mine === generation) document.body.dataset.rendered = String(mine);
    });
  }

  // ---------------------------------------------------------------- tables
  function cell(row, text, cls) { row.appendChild(el('td', text, cls ? {class: cls} : {})); }
  function button(text, title, onClick) {
    const b = el('button', text, {type: 'button', class: 'linklike'});
    if (title) b.title = title;
    b.addEventListener('click', onClick);
    return b;
  }

  function fillTopics(a) {
    const body = byId('topic-table').querySelector('tbody');
    body.textContent = '';
    const rows = [...a.perTopic].filter(([, v]) => v.comments || v.posts).sort((x, y) => y[1].comments - x[1].comments);
    for (const [k, v] of rows) {
      const t = D.topics[k]; const tr = el('tr', null, {'data-topic': String(k)});
      if (state.topic === k) tr.className = 'selected';
      const td = el('td');
      td.appendChild(button(t.name, t.terms ? `${t.name} (model terms: ${t.terms})` : t.name, () => selectTopic(k)));
      tr.appendChild(td);
      cell(tr, v.posts.toLocaleString('en'), 'num'); cell(tr, v.comments.toLocaleString('en'), 'num');
      cell(tr, v.posts ? (v.comments / Math.max(v.posts, 1)).toFixed(1) : '–', 'num');
      cell(tr, toneWord(v.scored ? v.toneSum / v.scored : null), 'num');
      body.appendChild(tr);
    }
  }

  function fillPosts(a) {
    const box = byId('topic-posts'); const body = box.querySelector('tbody');
    body.textContent = '';
    const posts = a.posts.filter((p) => state.topic == null || topicOf(p).i === state.topic)
      .sort((x, y) => y.c - x.c || (x.d || '').localeCompare(y.d || '') || x.t.localeCompare(y.t));
    byId('topic-posts-title').textContent = state.topic == null
      ? `All posts of the period (${posts.length})`
      : `Posts on “${D.topics[state.topic].name}” (${posts.length})`;
    for (const p of posts) {
      const tr = el('tr', null, {'data-post': String(p.i)});
      if (state.post === p.i) tr.className = 'selected';
      const td = el('td');
      td.appendChild(button(p.t, `${p.t} (${p.s || 'unknown site'})`, () => selectPost(p.i)));
      tr.appendChild(td);
      cell(tr, p.s || '–', 'nowrap'); cell(tr, p.d || '–', 'nowrap');
      cell(tr, p.c.toLocaleString('en'), 'num'); cell(tr, toneWord(p.m));
      body.appendChild(tr);
    }
  }

  function delay(hours) {
    if (hours == null) return 'time unknown';
    if (hours < 1) return `${Math.round(hours * 60)} min after the post`;
    if (hours < 48) return `${Math.round(hours)} h after the post`;
    return `${Math.round(hours / 24)} days after the post`;
  }

  function fillThread() {
    const box = byId('thread'); const list = box.querySelector('ol.thread');
    list.textContent = '';
    if (state.post == null) return;
    const p = D.posts[state.post];
    byId('thread-title').textContent = `Thread: ${p.t}`;
    const own = D.comments.map((c, i) => [c, i]).filter(([c]) => c[0] === state.post);
    const children = new Map();
    for (const [c, i] of own) {
      const parent = c[3] >= 0 && D.comments[c[3]] && D.comments[c[3]][0] === state.post ? c[3] : -1;
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push([c, i]);
    }
    const people = new Set(own.map(([c]) => c[4]));
    byId('thread-meta').textContent = `${p.s || 'unknown site'} · published ${p.d || 'date unknown'} · `
      + `${own.length} comments by ${people.size} commenters (pseudonyms)`
      + (D.textAllowed ? '' : ' · comment text is left out by the privacy settings');
    const walk = (parent, level) => {
      for (const [c, i] of (children.get(parent) || []).sort((x, y) => (x[0][1] || '').localeCompare(y[0][1] || ''))) {
        const li = el('li', null, {'data-depth': String(c[2])});
        li.style.marginLeft = `${Math.min(level, 12) * 1.4}em`;
        li.appendChild(el('span', c[4], {class: 'who'}));
        li.appendChild(el('span', ` · ${delay(c[5])}${c[2] ? ` · reply, depth ${c[2]}` : ''}`, {class: 'when'}));
        if (c[6] != null) li.appendChild(el('span', ` · tone ${toneWord(c[6])}`, {class: 'tone'}));
        if (c[7]) li.appendChild(el('span', c[7], {class: 'text'}));
        list.appendChild(li);
        walk(i, level + 1);
      }
    };
    walk(-1, 0);
    if (!own.length) list.appendChild(el('li', 'No comments on this post yet.'));
  }

  // ---------------------------------------------------------------- state
  let current = null;
  function refresh() {
    current = aggregate();
    byId('f-shown').textContent = `Showing ${current.posts.length.toLocaleString('en')} posts and `
      + `${current.comments.length.toLocaleString('en')} comments`;
    fillTopics(current); fillPosts(current); fillThread();
    return drawCharts(current);
  }
  function selectTopic(k) {
    state.topic = state.topic === k ? null : k;
    fillTopics(current); fillPosts(current);
    byId('topic-posts').scrollIntoView({block: 'nearest'});
  }
  function selectPost(i) {
    state.post = i;
    fillPosts(current); fillThread();
    byId('thread').scrollIntoView({block: 'nearest'});
  }

  const site = byId('f-site'); const from = byId('f-from'); const to = byId('f-to');
  const days = D.posts.map((p) => p.d).concat(D.comments.map((c) => day(c[1]))).filter(Boolean).sort();
  for (const input of [from, to]) {
    if (days.length) { input.min = days[0]; input.max = days[days.length - 1]; }
  }
  const onFilter = () => {
    state.site = site.value; state.from = from.value; state.to = to.value;
    if (state.post != null && !postShown(D.posts[state.post]) && !D.comments.some((c) => c[0] === state.post && commentShown(c))) state.post = null;
    refresh();
  };
  for (const input of [site, from, to]) input.addEventListener('change', onFilter);
  byId('f-reset').addEventListener('click', () => {
    site.value = ''; from.value = ''; to.value = ''; state.topic = null; onFilter();
  });
  byId('explore').hidden = false;
  document.body.classList.add('interactive');
  refresh();
})();
