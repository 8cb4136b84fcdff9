// careloop charts: every element with class "chart" and a data-series
// attribute holding {"name": [["YYYY-MM-DD", value], ...]} becomes a line
// chart drawn with the vendored Apache ECharts. No inline script (CSP).
(function () {
  function draw(el) {
    var data;
    try { data = JSON.parse(el.getAttribute('data-series') || '{}'); } catch (e) { return; }
    var series = Object.keys(data).map(function (name) {
      return { name: name, type: 'line', data: data[name], symbolSize: 8 };
    });
    if (!series.length || typeof echarts === 'undefined') { return; }
    var chart = echarts.init(el, null, { renderer: 'svg' });
    chart.setOption({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 32, right: 16, top: 32, bottom: 28 },
      xAxis: { type: 'category' },
      yAxis: { type: 'value', minInterval: 1 },
      series: series
    });
    window.addEventListener('resize', function () { chart.resize(); });
  }
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('.chart[data-series]').forEach(draw);
  });
})();
