// The live view's script: no library, no innerHTML. Every string that
// came from the region (tags, event messages, identifiers alike) enters
// the page through el() as textContent, so markup in a tenant's tag is
// shown as text and never parsed (tests/integration/liveview.t).
'use strict';

var selected = null;   // the instance whose metrics are graphed
var lastState = null;
var MAX_EVENTS = 200;

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function svgEl(tag, attrs) {
  var e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (var k in attrs) e.setAttribute(k, String(attrs[k]));
  return e;
}

function clock(ms) {
  var d = new Date(ms);
  return d.toISOString().substring(11, 23);
}

function statusClass(s) {
  if (s === 'available') return 'st-available';
  if (s === 'stopped') return 'st-stopped';
  if (s === 'failed' || s === 'deleting' || s === 'incompatible-restore' ||
      s === 'incompatible-parameters' || s === 'storage-full') return 'st-bad';
  return 'st-busy';
}

function renderInstances(list) {
  var body = document.querySelector('#instances tbody');
  body.replaceChildren();
  document.getElementById('no-instances').hidden = list.length > 0;
  list.forEach(function (i) {
    var tr = el('tr');
    tr.dataset.instance = i.id;
    tr.dataset.status = i.status || '';
    if (i.id === selected) tr.className = 'selected';
    tr.appendChild(el('td', 'id', i.id));
    var st = el('td');
    st.appendChild(el('span', 'badge ' + statusClass(i.status), i.status));
    tr.appendChild(st);
    tr.appendChild(el('td', null, i.engine));
    tr.appendChild(el('td', null, i['class']));
    tr.appendChild(el('td', 'ha', i.multi_az ? i.ha_state : 'no'));
    tr.appendChild(el('td', null, (i.az || '') + (i.secondary_az ? ' / ' + i.secondary_az : '')));
    tr.appendChild(el('td', null, i.endpoint || ''));
    var tags = el('td', 'tags');
    (i.tags || []).forEach(function (t) {
      tags.appendChild(el('span', 'tag', t.Key + '=' + t.Value));
    });
    tr.appendChild(tags);
    tr.addEventListener('click', function () { select(i.id); });
    body.appendChild(tr);
  });
  if (!selected && list.length > 0) select(list[0].id);
}

function phase(name, at, from) {
  var li = el('li', 'phase' + (at ? '' : ' phase-missing'));
  li.dataset.phase = name;
  if (at) {
    li.appendChild(el('span', 'fo-when', clock(at)));
    li.appendChild(document.createTextNode(name + (from ? ' (+' + ((at - from) / 1000).toFixed(3) + ' s)' : '')));
  } else {
    li.appendChild(document.createTextNode(name + ': not yet'));
  }
  return li;
}

function renderFailovers(list) {
  var ol = document.getElementById('failovers');
  ol.replaceChildren();
  document.getElementById('no-failovers').hidden = list.length > 0;
  list.forEach(function (f) {
    var li = el('li', 'failover');
    li.dataset.instance = f.instance;
    li.dataset.state = f.state;
    var phases = ['detected'];
    if (f.promoted_ms) phases.push('promoted');
    if (f.flipped_ms) phases.push('dns-flip');
    li.dataset.phases = phases.join(' ');
    li.appendChild(el('h3', null, f.instance + ': ' +
      (/switchover$/.test(f.kind) ? 'reboot with failover' : 'failover') + ' (' + f.state + ')'));
    var steps = el('ol');
    steps.appendChild(phase('detected', f.detected_ms, 0));
    steps.appendChild(phase('promoted', f.promoted_ms, f.detected_ms));
    steps.appendChild(phase('dns-flip', f.flipped_ms, f.detected_ms));
    li.appendChild(steps);
    ol.appendChild(li);
  });
}

function applyState(s) {
  lastState = s;
  document.getElementById('region').textContent = 'region ' + s.region;
  renderInstances(s.instances || []);
  renderFailovers(s.failovers || []);
}

function addEvent(e) {
  var ol = document.getElementById('events');
  var li = el('li');
  li.dataset.eventId = e.event_id;
  li.dataset.source = e.source_id;
  li.appendChild(el('span', 'when', clock(e.date_ms)));
  li.appendChild(el('span', 'src', e.source_id));
  li.appendChild(el('span', 'eid', e.event_id));
  li.appendChild(el('span', 'msg', e.message));
  ol.insertBefore(li, ol.firstChild);
  while (ol.childNodes.length > MAX_EVENTS) ol.removeChild(ol.lastChild);
}

// One line graph: points [[t_ms, v], ...] scaled into w x h (one point: a dot).
function graph(series) {
  var w = 520, h = 140, pad = 34;
  var svg = svgEl('svg', { width: w, height: h, viewBox: '0 0 ' + w + ' ' + h, role: 'img' });
  svg.dataset.series = series.name;
  svg.dataset.points = series.points.length;
  var title = svgEl('text', { x: pad, y: 14 });
  var last = series.points.length ? series.points[series.points.length - 1][1] : null;
  title.textContent = series.name + ' (' + series.unit + ')' +
    (last === null ? ': no samples yet' : ': ' + last.toFixed(1));
  svg.appendChild(title);
  if (series.points.length < 1) return svg;
  var t0 = series.points[0][0], t1 = series.points[series.points.length - 1][0];
  var vmax = 0;
  series.points.forEach(function (p) { if (p[1] > vmax) vmax = p[1]; });
  if (series.unit === '%') vmax = 100;
  if (vmax <= 0) vmax = 1;
  var d = '';
  series.points.forEach(function (p, k) {
    var x = pad + (w - pad - 8) * (t1 > t0 ? (p[0] - t0) / (t1 - t0) : 0);
    var y = h - 18 - (h - 40) * (p[1] / vmax);
    d += (k ? 'L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1);
  });
  svg.appendChild(svgEl('line', { x1: pad, y1: h - 18, x2: w - 8, y2: h - 18, stroke: '#dadce0' }));
  svg.appendChild(svgEl('path', { d: d, fill: 'none', stroke: '#1a73e8', 'stroke-width': 2 }));
  var lp = series.points[series.points.length - 1];
  svg.appendChild(svgEl('circle', { r: 3, fill: '#1a73e8',
    cx: (pad + (w - pad - 8) * (t1 > t0 ? (lp[0] - t0) / (t1 - t0) : 0)).toFixed(1),
    cy: (h - 18 - (h - 40) * (lp[1] / vmax)).toFixed(1) }));
  var top = svgEl('text', { x: 2, y: 26 });
  top.textContent = vmax.toFixed(0);
  svg.appendChild(top);
  var span = svgEl('text', { x: pad, y: h - 4 });
  span.textContent = clock(t0) + ' .. ' + clock(t1);
  svg.appendChild(span);
  return svg;
}

function loadMetrics() {
  if (!selected) return;
  fetch('/view/api/metrics?id=' + encodeURIComponent(selected), { credentials: 'same-origin' })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (m) {
      if (!m || m.instance !== selected) return;
      document.getElementById('metrics-of').textContent = m.instance;
      document.getElementById('metrics-source').textContent = m.source;
      var g = document.getElementById('graphs');
      g.replaceChildren();
      m.series.forEach(function (s) { g.appendChild(graph(s)); });
    })
    .catch(function () {});
}

function select(id) {
  selected = id;
  if (lastState) renderInstances(lastState.instances || []);
  loadMetrics();
}

function setFeed(on) {
  var f = document.getElementById('feed');
  f.textContent = on ? 'live' : 'reconnecting';
  f.className = 'feed ' + (on ? 'feed-on' : 'feed-off');
}

function start() {
  fetch('/view/api/state', { credentials: 'same-origin' })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (s) { if (s) applyState(s); })
    .catch(function () {});
  var es = new EventSource('/view/api/events');
  es.onopen = function () { setFeed(true); };
  es.onerror = function () { setFeed(false); };
  es.addEventListener('state', function (m) { applyState(JSON.parse(m.data)); });
  es.addEventListener('rds', function (m) { addEvent(JSON.parse(m.data)); });
  setInterval(loadMetrics, 5000);
}

document.addEventListener('DOMContentLoaded', start);
