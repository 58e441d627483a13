/* Backroom's own behaviour: small, no inline scripts (the CSP allows only our files).
 *
 * - data-confirm="Question?" on a form or button asks before submitting.
 * - canvas[data-chart][data-chart-source] draws a Chart.js chart from the rows of a table
 *   (tr[data-chart-label][data-chart-value]); the table stays the accessible source.
 *   Bars are horizontal unless data-chart-orientation="vertical" (a time series: days
 *   along the x axis).
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var question = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);

  function accentColour() {
    var value = getComputedStyle(document.documentElement).getPropertyValue("--br-accent");
    return (value && value.trim()) || "#2c5cc5";
  }

  function drawChart(canvas) {
    if (typeof window.Chart === "undefined" || canvas.dataset.chartReady) {
      return;
    }
    var table = document.querySelector(canvas.dataset.chartSource);
    if (!table) {
      return;
    }
    var rows = table.querySelectorAll("tr[data-chart-label]");
    var labels = [];
    var values = [];
    rows.forEach(function (row) {
      labels.push(row.dataset.chartLabel);
      values.push(parseFloat(row.dataset.chartValue) || 0);
    });
    var locale = document.documentElement.lang || undefined;
    var vertical = canvas.dataset.chartOrientation === "vertical";
    var valueAxis = {
      beginAtZero: true,
      ticks: { callback: function (value) { return Number(value).toLocaleString(locale); } },
      grid: { color: "rgba(0, 0, 0, 0.06)" }
    };
    var labelAxis = { grid: { display: false } };
    if (vertical) {
      labelAxis.ticks = { autoSkip: true, maxRotation: 0, autoSkipPadding: 12 };
      valueAxis.ticks.maxTicksLimit = 5;
      valueAxis.border = { display: false };
    }
    canvas.dataset.chartReady = "1";
    new window.Chart(canvas, {
      type: canvas.dataset.chart,
      data: {
        labels: labels,
        datasets: [{
          label: canvas.dataset.chartLabel || "",
          data: values,
          backgroundColor: accentColour(),
          borderRadius: vertical ? 2 : 4,
          maxBarThickness: vertical ? 18 : 28
        }]
      },
      options: {
        indexAxis: vertical ? "x" : "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: vertical ? { x: labelAxis, y: valueAxis } : { x: valueAxis, y: labelAxis }
      }
    });
  }

  function boot(root) {
    root.querySelectorAll("canvas[data-chart][data-chart-source]").forEach(drawChart);
  }

  document.addEventListener("DOMContentLoaded", function () { boot(document); });
  document.addEventListener("htmx:load", function (event) { boot(event.target); });
})();
