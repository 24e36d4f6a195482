// The Reports page's charts, drawn with the vendored Chart.js (static/vendor/chartjs/, loaded
// before this module) from the day report the page embeds (#report-days, the same JSON as
// GET /api/v1/reports/chats/?group_by=day). The agent shell comes with the top bar (agent/page.js).
import { gettext } from "../common/i18n.js";

const COLOURS = {
  accepted: "#16a34a",
  missed: "#dc2626",
  abandoned: "#b45309",
  offline: "#6b7280",
  responseP50: "#2563eb",
  responseP90: "#93c5fd",
  waitP50: "#7c3aed",
  waitP90: "#c4b5fd",
};

function stackedVolume(canvas, rows) {
  const series = (label, figure, colour) => ({
    label,
    data: rows.map((row) => row[figure]),
    backgroundColor: colour,
    stack: "chats",
  });
  return new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: rows.map((row) => row.label),
      datasets: [
        series(gettext("Accepted"), "chats_accepted", COLOURS.accepted),
        series(gettext("Missed"), "chats_missed", COLOURS.missed),
        series(gettext("Abandoned"), "chats_abandoned", COLOURS.abandoned),
        series(gettext("Offline messages"), "offline_messages", COLOURS.offline),
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
}

function times(canvas, rows) {
  // A day without the figure (null) leaves a gap: nothing to measure is not zero seconds.
  const line = (label, figure, colour, dashed) => ({
    label,
    data: rows.map((row) => row[figure]),
    borderColor: colour,
    backgroundColor: colour,
    borderDash: dashed ? [6, 4] : [],
    spanGaps: false,
    tension: 0.2,
  });
  return new window.Chart(canvas, {
    type: "line",
    data: {
      labels: rows.map((row) => row.label),
      datasets: [
        line(gettext("First response p50"), "first_response_p50_seconds", COLOURS.responseP50, false),
        line(gettext("First response p90"), "first_response_p90_seconds", COLOURS.responseP90, true),
        line(gettext("Wait p50"), "wait_p50_seconds", COLOURS.waitP50, false),
        line(gettext("Wait p90"), "wait_p90_seconds", COLOURS.waitP90, true),
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, title: { display: true, text: gettext("Seconds") } } },
    },
  });
}

const data = document.getElementById("report-days");
if (data && window.Chart) {
  const rows = JSON.parse(data.textContent).rows;
  stackedVolume(document.getElementById("volume-chart"), rows);
  times(document.getElementById("times-chart"), rows);
  document.querySelector(".charts").dataset.drawn = "true";
}
