// Server-rendered pages (Tickets): their <time data-local> dates in the viewer's locale, as the
// Chat Dashboard shows its dates.
import { localizeTimes } from "./dom.js";

localizeTimes();
