// Agent pages other than the Chat Dashboard (Tickets, Canned Messages, …): the agent shell alone.
// A chat accepted here opens in the Chat Dashboard.
import { startAgentShell } from "./shell.js";

startAgentShell();
