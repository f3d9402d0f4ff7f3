// The commissioner's dashboard: draws the score trend chart of a collaboration's health page.
// Progressive enhancement only: the same figures are in a table next to the chart. No inline
// script: the data comes from a <script type="application/json"> block (json_script).
(function () {
  "use strict";

  // Distinguishable colours with enough contrast on white; points also differ in shape.
  var COLOURS = ["#1d3c6e", "#b35900", "#0a6e4f", "#8a1c7c", "#5c5c00", "#a3162a", "#28527a", "#4d4d4d"];
  var SHAPES = ["circle", "rect", "triangle", "rectRot", "star", "crossRot", "rectRounded", "cross"];

  function readJSON(id) {
    var element = document.getElementById(id);
    if (!element) { return null; }
    try { return JSON.parse(element.textContent); } catch (error) { return null; }
  }

  function drawTrend(canvas) {
    var data = readJSON(canvas.dataset.chartSource);
    if (!data || !data.labels || !data.labels.length) { return; }
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (dataset, index) {
          var colour = COLOURS[index % COLOURS.length];
          return {
            label: dataset.label,
            data: dataset.data,
            borderColor: colour,
            backgroundColor: colour,
            pointStyle: SHAPES[index % SHAPES.length],
            pointRadius: 4,
            spanGaps: true,
            tension: 0.2
          };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          y: { min: 0, max: 100, title: { display: true, text: data.yLabel || "" } }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  function init() {
    if (typeof window.Chart === "undefined") { return; }
    document.querySelectorAll("canvas[data-chart-source]").forEach(drawTrend);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
