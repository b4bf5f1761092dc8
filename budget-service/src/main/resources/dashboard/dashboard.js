// The budget-service dashboard: polls GET /dashboard/summary every 2 s with the bearer token kept in
// sessionStorage and renders one card per team. Every number on the page is an API field: its element carries
// data-field (within a data-team card) and data-value (the raw API value), so a test can trace it.
// Built with DOM calls only (no innerHTML): routing reasons, task types and alert messages are data.
// Charts are drawn with uPlot (vendored under /dashboard/vendor); each chart's uPlot instance is kept in
// window.modelRouterCharts[team][chart], so a test can read the very arrays that were drawn.
'use strict';

(function () {
  const TOKEN_KEY = 'modelRouterToken';
  const REFRESH_MS = 2000;
  const GROUPING = new Intl.NumberFormat('en-US');
  const WINDOWS = [['daily', 'Today'], ['monthly', 'This month']];

  let lastRendered = null;
  let timer = null;

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined) continue;
      if (name === 'class') node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  // An element showing one API value: data-field names it, data-value holds it as the API sent it.
  function field(tag, name, value, text, cls) {
    return el(tag, {'data-field': name, 'data-value': value === null ? '' : String(value), class: cls}, text);
  }

  // ------------------------------------------------------------ formatting

  function tokens(n) {
    return n === null || n === undefined ? '—' : GROUPING.format(n);
  }

  // Dollars from micro-dollars with integer arithmetic, rounded half up: to the cent from one dollar, to a
  // hundredth of a cent below (LLM calls are cheap one by one; $0.07 would hide what routing saves).
  function usd(micros) {
    if (micros === null || micros === undefined) return '—';
    const negative = micros < 0;
    const m = Math.abs(micros);
    const scale = m !== 0 && m < 1000000 ? 4 : 2;
    const unit = 10 ** (6 - scale);
    const rounded = Math.floor((m + unit / 2) / unit);
    const whole = Math.floor(rounded / 10 ** scale);
    const cents = String(rounded % 10 ** scale).padStart(scale, '0');
    return (negative ? '-' : '') + '$' + GROUPING.format(whole) + '.' + cents;
  }

  // A fraction as a percent with one decimal, rounded down (99.97% of a budget is not yet 100%).
  function percent(fraction) {
    if (fraction === null || fraction === undefined) return '—';
    const tenths = Math.floor(fraction * 1000 + 1e-6);
    const sign = tenths < 0 ? '-' : '';
    const abs = Math.abs(tenths);
    return sign + Math.floor(abs / 10) + '.' + (abs % 10) + '%';
  }

  function count(n, one, many) {
    return n === 1 ? one : many;
  }

  function time(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    return d.toISOString().replace('T', ' ').substring(0, 19) + ' UTC';
  }

  function level(fraction) {
    if (fraction === null || fraction === undefined) return 'none';
    if (fraction >= 1) return 'over';
    if (fraction >= 0.8) return 'warn';
    return 'ok';
  }

  // ------------------------------------------------------------ rendering

  function badge(name, state) {
    return field('span', name, state, state, 'badge state-' + String(state).toLowerCase());
  }

  function gauge(prefix, label, used, limit, fraction, money) {
    const show = money ? usd : tokens;
    const bar = el('div', {class: 'bar-fill level-' + level(fraction)});
    bar.style.width = fraction === null ? '0%' : Math.min(Math.max(fraction, 0), 1) * 100 + '%';
    return el('div', {class: 'gauge'},
      el('div', {class: 'gauge-label'},
        el('span', {class: 'metric'}, label),
        el('span', {class: 'numbers'},
          field('span', prefix, used, show(used), 'used'),
          limit === null
            ? el('span', {class: 'muted'}, ' · no limit')
            : el('span', {}, ' of ', field('span', prefix.replace(/(Tokens)?$/, '') + 'Limit', limit, show(limit)))),
        field('span', prefix.replace(/(Tokens)?$/, '') + 'Fraction', fraction, percent(fraction), 'fraction')),
      el('div', {class: 'bar', role: 'meter', 'aria-label': label,
        'aria-valuemin': '0', 'aria-valuemax': '1', 'aria-valuenow': fraction === null ? '0' : String(fraction)}, bar));
  }

  function windowPanel(team, key, title) {
    const w = team[key];
    const savedLevel = w.savedFraction === null ? 'none' : (w.savedFraction >= 0 ? 'good' : 'bad');
    return el('div', {class: 'window', 'data-window': key},
      el('h3', {}, title, ' ', el('span', {class: 'muted'}, w.start), ' ', badge(key + 'State', w.state)),
      gauge(key + 'InputTokens', 'Input tokens', w.inputTokens, w.limits.inputTokens, w.fractions.inputTokens, false),
      gauge(key + 'OutputTokens', 'Output tokens', w.outputTokens, w.limits.outputTokens, w.fractions.outputTokens,
        false),
      gauge(key + 'Cost', 'Cost', w.costMicros, w.limits.costMicros, w.fractions.cost, true),
      el('p', {class: 'counts muted'},
        field('span', key + 'Requests', w.requests, tokens(w.requests)), count(w.requests, ' request', ' requests'),
        ' · ', field('span', key + 'Calls', w.calls, tokens(w.calls)),
        count(w.calls, ' provider call', ' provider calls')),
      el('p', {class: 'cache muted'}, 'Prompt cache: ',
        field('span', key + 'CacheRead', w.cachedInputTokens, tokens(w.cachedInputTokens)), ' read · ',
        field('span', key + 'CacheWrite', w.cacheWriteTokens, tokens(w.cacheWriteTokens)), ' written · saved ',
        field('span', key + 'CacheSaved', w.cacheSavedMicros, usd(w.cacheSavedMicros))),
      el('p', {class: 'cache muted'}, 'Response cache: ',
        field('span', key + 'CachedResponses', w.cachedResponses, tokens(w.cachedResponses)),
        count(w.cachedResponses, ' answer', ' answers'), ' · saved ',
        field('span', key + 'ResponseCacheSaved', w.responseCacheSavedMicros, usd(w.responseCacheSavedMicros))),
      el('p', {class: 'cache muted'}, 'Batch APIs: ',
        field('span', key + 'BatchCalls', w.batchCalls, tokens(w.batchCalls)),
        count(w.batchCalls, ' call', ' calls'), ' at batch prices · saved ',
        field('span', key + 'BatchSaved', w.batchSavedMicros, usd(w.batchSavedMicros))),
      el('div', {class: 'savings saved-' + savedLevel},
        el('div', {},
          el('span', {class: 'muted'}, 'All-frontier baseline '),
          field('span', key + 'BaselineCost', w.baselineCostMicros, usd(w.baselineCostMicros)),
          el('span', {class: 'muted'}, ' · actual '),
          field('span', key + 'ActualCost', w.costMicros, usd(w.costMicros))),
        el('div', {class: 'saved'},
          'Saved ', field('span', key + 'Saved', w.savedMicros, usd(w.savedMicros)), ' (',
          field('strong', key + 'SavedFraction', w.savedFraction, percent(w.savedFraction)), ')')));
  }

  // One window's usage by model or by task type; data-breakdown names the API array (daily.byModel, ...).
  function breakdownTable(team, [key, period], list, title, heading, keyField, keyAttr, withBaseline) {
    const rows = team[key][list];
    const head = el('tr', {}, el('th', {}, heading), el('th', {class: 'num'}, 'Calls'),
      el('th', {class: 'num'}, 'Input'), el('th', {class: 'num'}, 'Output'), el('th', {class: 'num'}, 'Cost'),
      withBaseline ? el('th', {class: 'num'}, 'At frontier') : null);
    const body = rows.map((row) => el('tr', {[keyAttr]: row[keyField]},
      el('td', {class: 'key'}, row[keyField]),
      field('td', 'calls', row.calls, tokens(row.calls), 'num'),
      field('td', 'inputTokens', row.inputTokens, tokens(row.inputTokens), 'num'),
      field('td', 'outputTokens', row.outputTokens, tokens(row.outputTokens), 'num'),
      field('td', 'cost', row.costMicros, usd(row.costMicros), 'num'),
      withBaseline ? field('td', 'baselineCost', row.baselineCostMicros, usd(row.baselineCostMicros), 'num') : null));
    return el('div', {class: 'panel', 'data-breakdown': key + '.' + list},
      el('h4', {}, title + ' · ' + period.toLowerCase()),
      rows.length === 0 ? el('p', {class: 'muted'}, 'No usage ' + period.toLowerCase() + '.')
        : el('table', {}, el('thead', {}, head), el('tbody', {}, ...body)));
  }

  function resultsTable(results) {
    const rows = results.map((r) => el('tr', {'data-request-id': r.requestId},
      el('td', {class: 'muted nowrap'}, time(r.completedAt)),
      field('td', 'status', r.status, r.status, 'status status-' + String(r.status).toLowerCase()),
      el('td', {class: 'nowrap'}, field('span', 'profile', r.profile, r.profile || '—'), ' → ',
        field('span', 'model', r.model, r.model || '—')),
      field('td', 'routingReason', r.routingReason, r.routingReason || '—', 'reason-cell'),
      field('td', 'cost', r.costMicros, usd(r.costMicros), 'num')));
    return el('div', {class: 'panel wide'}, el('h4', {}, 'Recent routing'),
      results.length === 0 ? el('p', {class: 'muted'}, 'No results seen yet.')
        : el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Completed'), el('th', {}, 'Status'),
          el('th', {}, 'Profile → model'), el('th', {}, 'Routing reason'), el('th', {class: 'num'}, 'Cost'))),
        el('tbody', {}, ...rows)));
  }

  function alertsList(alerts) {
    const items = alerts.recent.map((a) => el('li', {'data-alert-id': a.alertId},
      badge('alertState', a.state), ' ',
      field('span', 'message', a.message, a.message), ' ',
      el('span', {class: 'muted'}, time(a.at))));
    return el('div', {class: 'panel wide'},
      el('h4', {}, 'Budget alerts · ', field('span', 'alertsToday', alerts.today, tokens(alerts.today)), ' today'),
      items.length === 0 ? el('p', {class: 'muted'}, 'No alerts.') : el('ul', {class: 'alerts'}, ...items));
  }

  // The learned routing model in use and how the team's results are judged: the latest 200 judgements against the
  // ones before them (mean score, 0 to 1).
  function learningLine(learning) {
    if (!learning) return null;
    const judged = learning.judgements;
    return el('p', {class: 'learning', 'data-learning': 'true'}, 'Learned routing: model ',
      field('strong', 'learnedInUse', learning.inUse, learning.inUse === 0 ? 'shipped' : 'v' + learning.inUse),
      learning.pinned ? ' (pinned; latest v' + learning.latest + ')' : '',
      ' · ', field('span', 'learnedExemplars', learning.exemplars, tokens(learning.exemplars)), ' learned exemplars',
      judged ? ' · judged score ' : '',
      judged && judged.earlier > 0
        ? field('span', 'earlierScore', judged.earlierMeanScore, judged.earlierMeanScore.toFixed(2)) : null,
      judged && judged.earlier > 0 ? ' → ' : '',
      judged ? field('span', 'latestScore', judged.latestMeanScore, judged.latestMeanScore.toFixed(2)) : null,
      judged ? ' (last ' + judged.latest + ' judgements' + (judged.earlier > 0 ? ', against the ' + judged.earlier
        + ' before' : '') + ')' : '');
  }

  // ------------------------------------------------------------ charts (uPlot)

  const PALETTE = ['#3a5bd9', '#d2453d', '#2f9e6a', '#9333ea', '#d9922b', '#0891b2', '#c8642c', '#4b5563'];
  const CHART_WIDTH = 580;
  const CHART_HEIGHT = 210;
  // Charts waiting for their card to be in the page, and the drawn ones per team (destroyed on each redraw).
  let pendingCharts = [];
  window.modelRouterCharts = {};

  const seconds = (iso) => Date.parse(iso) / 1000;

  // The team's time zone for the time axis; an offset Intl does not know is shown in UTC.
  function zoneOf(id) {
    const zone = id === 'Z' ? 'UTC' : id;
    try {
      new Intl.DateTimeFormat('en-US', {timeZone: zone});
      return zone;
    } catch (e) {
      return 'UTC';
    }
  }

  function chartOptions(title, zone, series, axes, scales) {
    return {
      title: title, width: CHART_WIDTH, height: CHART_HEIGHT,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), zone),
      series: [{label: 'Time'}, ...series], axes: axes, scales: scales || {},
      legend: {live: false}, cursor: {drag: {x: false, y: false}}
    };
  }

  // Spend, the all-frontier baseline and tokens per bucket (hour or day).
  function spendChart(series, period, title) {
    const points = series[period].points;
    const x = points.map((p) => seconds(p.start));
    const data = [x, points.map((p) => p.costMicros / 1e6)];
    const lines = [{label: 'Cost (USD)', stroke: PALETTE[0], width: 2, scale: 'usd', points: {show: true}}];
    if (series.baselineModel) {
      data.push(points.map((p) => p.baselineCostMicros / 1e6));
      lines.push({label: 'All-frontier baseline (USD)', stroke: PALETTE[1], dash: [6, 4], width: 2, scale: 'usd',
        points: {show: true}});
    }
    data.push(points.map((p) => p.inputTokens + p.outputTokens));
    lines.push({label: 'Tokens (in + out)', stroke: PALETTE[2], width: 1, scale: 'tokens', points: {show: true}});
    const axes = [{}, {scale: 'usd', size: 64, values: (u, vals) => vals.map((v) => '$' + v)},
      {scale: 'tokens', side: 1, size: 64, grid: {show: false}, values: (u, vals) => vals.map((v) => tokens(v))}];
    return {options: chartOptions(title, zoneOf(series.timeZone), lines, axes,
      {x: {time: true, range: [seconds(series[period].from), seconds(series[period].until)]}}), data: data};
  }

  // Calls per model per bucket: which models the router sent the team's work to, over time.
  function mixChart(series, period, title) {
    const points = series[period].points;
    const totals = {};
    points.forEach((p) => Object.entries(p.callsByModel).forEach(([m, n]) => { totals[m] = (totals[m] || 0) + n; }));
    const models = Object.keys(totals).sort((a, b) => totals[b] - totals[a] || (a < b ? -1 : 1));
    const data = [points.map((p) => seconds(p.start))];
    const lines = models.map((m, i) => {
      data.push(points.map((p) => p.callsByModel[m] || 0));
      return {label: m, stroke: PALETTE[i % PALETTE.length], width: 2, points: {show: true}};
    });
    return {options: chartOptions(title, zoneOf(series.timeZone), lines, [{}, {}],
      {x: {time: true, range: [seconds(series[period].from), seconds(series[period].until)]}}), data: data};
  }

  // The budget used so far and projected at the current rate to the window's end, with each threshold (percent).
  function burnDownChart(series, burn, title) {
    const xs = [...new Set([...burn.points, ...burn.projection].map((p) => seconds(p.at)))].sort((a, b) => a - b);
    const at = (list) => {
      const byX = new Map(list.map((p) => [seconds(p.at), p.fraction * 100]));
      return xs.map((x) => (byX.has(x) ? byX.get(x) : null));
    };
    const data = [xs, at(burn.points), at(burn.projection)];
    const lines = [
      {label: 'Used (%)', stroke: PALETTE[0], width: 2, spanGaps: true, points: {show: true}},
      {label: 'Projected (%)', stroke: PALETTE[4], dash: [6, 4], width: 2, spanGaps: true}];
    burn.thresholds.forEach((t, i) => {
      data.push(xs.map(() => t.threshold * 100));
      lines.push({label: percent(t.threshold) + ' ' + t.state.toLowerCase(), stroke: i === burn.thresholds.length - 1
        ? PALETTE[1] : '#9aa3b5', dash: [2, 3], width: 1, points: {show: false}});
    });
    return {options: chartOptions(title, zoneOf(series.timeZone), lines, [{}, {values: (u, v) => v.map((n) => n + '%')}],
      {x: {time: true, range: [seconds(burn.from), seconds(burn.until)]}}), data: data};
  }

  // Per judged minute: the mean judged score and what the judged requests cost against all-frontier (percent), so
  // that a team sees its routing learn: the score holding or rising while the cost falls. Minutes without a
  // judgement between two judged ones break the lines (a null point), and the time axis spans the judged minutes.
  function learningChart(learning, zone, title) {
    const x = [];
    const score = [];
    const share = [];
    learning.minutes.forEach((p, i) => {
      const at = seconds(p.start);
      if (i > 0 && at - x[x.length - 1] > 60) {
        x.push(x[x.length - 1] + 60);
        score.push(null);
        share.push(null);
      }
      x.push(at);
      score.push(p.meanScore);
      share.push(p.costShare == null ? null : p.costShare * 100);
    });
    const lines = [
      {label: 'Judged score (mean)', stroke: PALETTE[2], width: 2, scale: 'score', points: {show: true}},
      {label: 'Cost, % of all-frontier', stroke: PALETTE[0], width: 2, scale: 'share', points: {show: true}}];
    const axes = [{}, {scale: 'score', size: 48, values: (u, vals) => vals.map((v) => v.toFixed(1))},
      {scale: 'share', side: 1, size: 56, grid: {show: false}, values: (u, vals) => vals.map((v) => v + '%')}];
    return {options: chartOptions(title, zone, lines, axes, {
      x: {time: true, range: [x[0] - 60, x[x.length - 1] + 60]},
      score: {range: [0, 1]},
      // above 100% when routing cost more than the frontier would have (a dearer fallback, cache writes)
      share: {range: (u, min, max) => [0, Math.max(100, Math.ceil(max == null ? 0 : max))]}}), data: [x, score, share]};
  }

  function learningPanel(team) {
    const learning = team.learning;
    if (!learning || !learning.minutes || learning.minutes.length === 0) return null;
    const zone = zoneOf(team.series ? team.series.timeZone : 'Z');
    const judged = learning.minutes.reduce((n, p) => n + p.judgements, 0);
    const priced = learning.minutes.reduce((n, p) => n + p.priced, 0);
    const caption = !team.baseline
      ? 'No all-frontier baseline (the catalog has no model to price with): the cost line is empty.'
      : 'Cost counts each judged request once, in the minute of its first judgement, when budget-service had read its '
        + 'result (' + priced + ' requests priced; ' + judged + ' judgements in the last ' + learning.minutes.length
        + ' judged minutes).';
    return el('div', {class: 'charts learning-charts'},
      chartBox(team.team, 'learning', learningChart(learning, zone,
        'Learning · judged score and cost against all-frontier, by minute'), el('p', {class: 'muted'}, caption)));
  }

  function chartBox(teamId, name, spec, caption) {
    const box = el('div', {class: 'chart', 'data-chart': name}, caption);
    pendingCharts.push({team: teamId, name: name, spec: spec, box: box});
    return box;
  }

  function thresholdList(key, burn) {
    return el('ul', {class: 'thresholds'}, ...burn.thresholds.map((t) => el('li', {'data-threshold': t.threshold},
      field('strong', key + 'Threshold', t.threshold, percent(t.threshold)), ' (', t.state.toLowerCase(), '): ',
      field('span', key + 'ThresholdStatus', t.status, t.status), t.at ? ' · ' : '',
      t.at ? field('span', key + 'ThresholdAt', t.at, time(t.at)) : null)));
  }

  function chartsPanel(team) {
    const s = team.series;
    if (!s) return null;
    const boxes = [
      chartBox(team.team, 'hourlySpend', spendChart(s, 'hourly', 'Spend and tokens · today by hour'), null),
      chartBox(team.team, 'dailySpend', spendChart(s, 'daily', 'Spend and tokens · this month by day'), null),
      chartBox(team.team, 'hourlyMix', mixChart(s, 'hourly', 'Routing mix · calls per model, today by hour'), null),
      chartBox(team.team, 'dailyMix', mixChart(s, 'daily', 'Routing mix · calls per model, this month by day'),
        null)];
    for (const [key, title] of WINDOWS) {
      const burn = s.burnDown[key];
      if (!burn) {
        boxes.push(el('div', {class: 'chart none', 'data-chart': key + 'BurnDown'},
          el('p', {class: 'muted'}, 'Budget burn-down · ' + title.toLowerCase() + ': no budget for this window.')));
        continue;
      }
      boxes.push(chartBox(team.team, key + 'BurnDown', burnDownChart(s, burn, 'Budget burn-down · '
        + title.toLowerCase() + ' (' + burn.metric + ')'), thresholdList(key, burn)));
    }
    return el('div', {class: 'charts'}, ...boxes);
  }

  // Draws the charts of the cards just put on the page, after destroying the previous ones.
  function drawCharts() {
    for (const charts of Object.values(window.modelRouterCharts)) {
      Object.values(charts).forEach((chart) => chart.destroy());
    }
    window.modelRouterCharts = {};
    for (const c of pendingCharts) {
      const chart = new uPlot(c.spec.options, c.spec.data, (u, init) => {
        c.box.prepend(u.root);
        init();
      });
      (window.modelRouterCharts[c.team] = window.modelRouterCharts[c.team] || {})[c.name] = chart;
    }
    pendingCharts = [];
  }

  function card(team) {
    const baseline = team.baseline;
    return el('section', {class: 'team', 'data-team': team.team},
      el('header', {class: 'team-head'},
        field('h2', 'team', team.team, team.team),
        badge('state', team.state),
        field('span', 'reason', team.reason, team.reason, 'reason')),
      el('div', {class: 'windows'}, ...WINDOWS.map(([key, title]) => windowPanel(team, key, title))),
      el('p', {class: 'baseline muted'}, 'Baseline: every token priced on ',
        field('strong', 'baselineModel', baseline ? baseline.model : null, baseline ? baseline.model : 'no model'),
        baseline ? ' (' + baseline.source + ')' : ''),
      learningLine(team.learning),
      learningPanel(team),
      chartsPanel(team),
      el('div', {class: 'panels'},
        ...WINDOWS.flatMap((win) => [
          breakdownTable(team, win, 'byModel', 'By model', 'Model', 'model', 'data-model', true),
          breakdownTable(team, win, 'byTaskType', 'By task type', 'Task type', 'taskType', 'data-task-type', false)]),
        resultsTable(team.results),
        alertsList(team.alerts)));
  }

  function render(summary) {
    $('viewer').textContent = 'Signed in as ' + summary.viewer;
    $('updated').textContent = 'updated ' + time(summary.at);
    $('updated').setAttribute('data-value', summary.at);
    // Rebuild only when the data changed, so elements a reader holds stay attached between identical polls.
    const key = JSON.stringify(summary.teams);
    if (key === lastRendered) return;
    lastRendered = key;
    pendingCharts = [];
    const cards = summary.teams.map(card);
    $('teams').replaceChildren(...(cards.length ? cards : [el('p', {class: 'muted empty'}, 'No teams yet.')]));
    drawCharts();
    document.body.setAttribute('data-rendered', 'true');
  }

  // ------------------------------------------------------------ polling and sign-in

  function showError(message) {
    $('error').textContent = message;
    $('error').hidden = !message;
  }

  function showLogin(message) {
    clearTimeout(timer);
    sessionStorage.removeItem(TOKEN_KEY);
    lastRendered = null;
    pendingCharts = [];
    $('teams').replaceChildren();
    drawCharts();
    $('viewer').textContent = '';
    $('updated').textContent = '';
    $('sign-out').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    showError('');
    $('token').focus();
  }

  async function poll() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) {
      showLogin();
      return;
    }
    try {
      const response = await fetch('/dashboard/summary', {
        headers: {'Authorization': 'Bearer ' + token, 'Accept': 'application/json'},
        cache: 'no-store'
      });
      if (response.status === 401) {
        showLogin('The token was not accepted (401). Check it and try again.');
        return;
      }
      const body = await response.json();
      if (!response.ok) {
        showError('GET /dashboard/summary answered ' + response.status + ': ' + (body.error || ''));
      } else {
        showError('');
        render(body);
      }
    } catch (e) {
      showError('Cannot reach budget-service (' + e.message + '); retrying every 2 s.');
    }
    timer = setTimeout(poll, REFRESH_MS);
  }

  function start() {
    $('login').hidden = true;
    $('sign-out').hidden = false;
    clearTimeout(timer);
    poll();
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const token = $('token').value.trim();
      if (!token) return;
      sessionStorage.setItem(TOKEN_KEY, token);
      $('token').value = '';
      start();
    });
    $('sign-out').addEventListener('click', () => showLogin());
    if (sessionStorage.getItem(TOKEN_KEY)) start(); else showLogin();
  });
})();
