// Translation functions for our modules: Django's JavaScript catalog (/jsi18n/, loaded by the page
// before any module) defines them globally; without it a string stays as written (English).
// makemessages finds the msgids by these names, so call them directly, e.g. gettext("Send").

const catalog = globalThis.django || {};

export function gettext(msgid) {
  return catalog.gettext ? catalog.gettext(msgid) : msgid;
}

export function ngettext(singular, plural, count) {
  return catalog.ngettext ? catalog.ngettext(singular, plural, count) : count === 1 ? singular : plural;
}

export function pgettext(context, msgid) {
  return catalog.pgettext ? catalog.pgettext(context, msgid) : msgid;
}

/** Fills %(name)s placeholders from `values`: interpolate(gettext("Hi %(name)s"), { name }). */
export function interpolate(format, values) {
  return format.replace(/%\(([a-z_]+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The locale for dates and numbers: the browser's own variant of the page's language ("en-GB" on
 * an English page), else the page's language, so a date never speaks another language than the page. */
export function pageLocale() {
  const language = document.documentElement.lang || "en";
  const own = (navigator.languages || []).find((tag) => tag.split("-")[0].toLowerCase() === language);
  return own || language;
}
