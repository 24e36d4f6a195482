// Frames from a socket to their handlers: one frozen table built once from the handler maps of
// the page's parts. A frame type claimed by two parts is a mistake, reported at once.
export function frameRouter(...handlerMaps) {
  const table = Object.create(null);
  for (const handlers of handlerMaps) {
    for (const [type, handler] of Object.entries(handlers)) {
      if (type in table) throw new Error(`two handlers for "${type}" frames`);
      table[type] = handler;
    }
  }
  Object.freeze(table);
  return (frame) => reportFailure(table[frame.type]?.(frame));
}

// Background work started from events (handlers may be async): a failure is logged, never an
// unhandled rejection.
export function reportFailure(promise) {
  if (promise && promise.catch) promise.catch((failure) => console.warn(failure));
}
