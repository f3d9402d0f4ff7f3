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

  // The labels are ISO scan dates ("2026-11-30"); the x axis counts days, so a 14-day gap is
  // twice as wide as a 7-day one. Chart.js's time scale would need a date adapter: days suffice.
  var DAY = 86400000;

  function dayNumber(iso) {
    var parts = iso.split("-");
    return Date.UTC(+parts[0], +parts[1] - 1, +parts[2]) / DAY;
  }

  function isoDate(day) {
    return new Date(Math.round(day) * DAY).toISOString().slice(0, 10);
  }

  function drawTrend(canvas) {
    var data = readJSON(canvas.dataset.chartSource);
    if (!data || !data.labels || !data.labels.length) { return; }
    var days = data.labels.map(dayNumber);
    new window.Chart(canvas, {
      type: "line",
      data: {
        datasets: data.datasets.map(function (dataset, index) {
          var colour = COLOURS[index % COLOURS.length];
          var points = [];
          dataset.data.forEach(function (score, at) {
            if (score !== null && score !== undefined) { points.push({ x: days[at], y: score }); }
          });
          return {
            label: dataset.label,
            data: points,
            borderColor: colour,
            backgroundColor: colour,
            pointStyle: SHAPES[index % SHAPES.length],
            pointRadius: 4,
            tension: 0.2
          };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: {
            type: "linear",
            // A single scan date gets a day either side rather than an empty range.
            min: days.length > 1 ? days[0] : days[0] - 1,
            max: days.length > 1 ? days[days.length - 1] : days[0] + 1,
            // One tick per scan date (skipped where they would overlap), labelled with that date.
            afterBuildTicks: function (scale) {
              scale.ticks = days.map(function (day) { return { value: day }; });
            },
            ticks: { callback: function (value) { return isoDate(value); } }
          },
          y: { min: 0, max: 100, title: { display: true, text: data.yLabel || "" } }
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              title: function (items) { return items.length ? isoDate(items[0].parsed.x) : ""; }
            }
          }
        }
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
