// Whether anybody can answer before the visitor asks: GET /api/v1/departments/ says, per
// department, `available`, `offline_reason` ("no_agents" or "outside_hours"), `opens_at`, and the
// department's greeting, away message and widget colour. A department the list does not describe
// that way (or a list that could not be read) counts as available: the chat is then started, and
// the server still turns a chat nobody takes into a missed one.
import { api } from "../common/api.js";
import { pageLocale } from "../common/i18n.js";

export const DEPARTMENTS_URL = "/api/v1/departments/";
const DEFAULT_COLOUR = "#2563eb";

// The list, or null when it could not be read.
export async function readDepartments() {
  try {
    const list = await api("GET", DEPARTMENTS_URL);
    return Array.isArray(list) ? list : null;
  } catch {
    return null;
  }
}

// What the pre-chat form shows for the department chosen (`slug`, "" for any department):
// {available, department, reason, opensAt, awayMessage, greeting, colour}.
export function availabilityFor(departments, slug) {
  const all = departments || [];
  const chosen = slug ? all.filter((department) => department.slug === slug) : all;
  const department = slug ? chosen[0] || null : null;
  const colours = new Set(all.map((each) => each.widget_colour).filter(Boolean));
  const look = {
    department,
    greeting: department?.greeting || "",
    // Any department: the desk's colour when every department has the same one.
    colour: department?.widget_colour || (colours.size === 1 ? [...colours][0] : DEFAULT_COLOUR),
  };
  if (!chosen.length || chosen.some((each) => each.available !== false)) return { ...look, available: true };
  const closed = chosen.every((each) => each.offline_reason === "outside_hours");
  const openings = chosen.map((each) => each.opens_at).filter(Boolean).sort((a, b) => Date.parse(a) - Date.parse(b));
  const awayMessages = chosen.map((each) => (each.away_message || "").trim()).filter(Boolean);
  return {
    ...look,
    available: false,
    reason: closed ? "outside_hours" : "no_agents",
    opensAt: closed ? openings[0] || null : null,
    // One department's own words; for several, theirs only when they all say the same.
    awayMessage: new Set(awayMessages).size === 1 && awayMessages.length === chosen.length ? awayMessages[0] : "",
  };
}

// "Monday, 2 June, 09:00 CEST" in the visitor's language and time zone.
export function formatOpening(iso, locale = pageLocale()) {
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return "";
  const sameWeek = moment.getTime() - Date.now() < 6 * 24 * 3600 * 1000;
  const options = { weekday: "long", hour: "numeric", minute: "2-digit", timeZoneName: "short" };
  if (!sameWeek) Object.assign(options, { day: "numeric", month: "long" });
  return new Intl.DateTimeFormat(locale, options).format(moment);
}

// Colours: the header and primary buttons take the department's colour, their text whichever of
// white or ink reads better on it (WCAG contrast).
function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((at) => {
    const channel = parseInt(hex.slice(at, at + 2), 16) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a, b) {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

function darker(hex, by = 0.15) {
  const parts = [1, 3, 5].map((at) => Math.round(parseInt(hex.slice(at, at + 2), 16) * (1 - by)));
  return `#${parts.map((part) => part.toString(16).padStart(2, "0")).join("")}`;
}

export function isColour(value) {
  return typeof value === "string" && /^#[0-9a-fA-F]{6}$/.test(value);
}

export function applyColour(colour, root = document.body) {
  if (!isColour(colour)) colour = DEFAULT_COLOUR;
  const ink = "#111827";
  root.style.setProperty("--accent", colour);
  root.style.setProperty("--accent-dark", darker(colour));
  root.style.setProperty("--on-accent", contrast(colour, "#ffffff") >= contrast(colour, ink) ? "#ffffff" : ink);
  return colour;
}
