// The show's Socket.IO connection (contract: auth {show, name, key?, token?}).
import { io } from "/vendor/socket.io/socket.io.esm.min.js";

/** Connect to a show; the socket reconnects by itself (socket.io-client's default). */
export function connectShow(show, { name = "", key, token, replay = false } = {}) {
  const auth = { show, name };
  if (key) auth.key = key;
  if (token) auth.token = token;
  if (replay) auth.replay = true; // the replay page: buys, but is not one of the live audience
  return io({ auth, transports: ["websocket", "polling"], reconnectionDelayMax: 4000 });
}

/** Emit with an ack; resolves to the ack ({ok, ...}) or {ok: false, error: "timeout"}. */
export function request(socket, event, payload = {}, ms = 8000) {
  return new Promise((resolve) => {
    socket.timeout(ms).emit(event, payload, (err, answer) => {
      if (err) resolve({ ok: false, error: "timeout", message: "no answer from the server" });
      else resolve(answer && typeof answer === "object" ? answer : { ok: false, error: "invalid" });
    });
  });
}

/** Show a connected / reconnecting pill for a socket in `node` (text from i18n keys);
 * told again when the page's language changes. */
export function trackConnection(socket, onChange) {
  let state = "connecting";
  const tell = (next) => {
    state = next;
    onChange(next);
  };
  socket.on("connect", () => tell("online"));
  socket.on("disconnect", () => tell("offline"));
  socket.io.on("reconnect_attempt", () => tell("offline"));
  window.addEventListener("langchange", () => onChange(state));
  tell("connecting");
}
