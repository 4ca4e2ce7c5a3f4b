// Reading the official SDK's event streams in the node tests.

// The events of `stream` (previews included) until `until(events)` holds or the stream ends.
export async function collect(stream, until = () => false) {
  const events = [];
  for await (const ev of stream) {
    events.push(ev);
    if (until(events)) break;
  }
  return events;
}
