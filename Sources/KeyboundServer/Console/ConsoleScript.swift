/// The console's one script, served at `/console/console.js` (the CSP allows scripts from the
/// console's own origin only, never inline): the live views. Each element with `data-stream`
/// subscribes to that Server-Sent Events URL with `EventSource` (which reconnects by itself, with
/// `Last-Event-ID`) and prepends one line per event, written with `textContent` only, so nothing
/// an event carries is ever parsed as HTML. Each element with `data-poll` reads that JSON URL every
/// second while a job runs (an incident response) and lists its steps the same way. Pages work
/// without it; it only adds the live lines.
enum ConsoleScript {
    static let path = "/console/console.js"

    static let javaScript = """
        "use strict";
        (function () {
          function text(value) { return value === undefined || value === null ? "" : String(value); }

          function keyEventLine(name, data) {
            var when = data.at ? new Date(data.at * 1000).toISOString() : "";
            return when + "  " + name + "  " + text(data.kid);
          }

          function alertLine(data) {
            var parts = [text(data.time), text(data.code), text(data.summary)];
            if (data.kid) { parts.push("kid " + data.kid); }
            if (data.jti) { parts.push("jti " + data.jti); }
            return parts.join("  ");
          }

          function subscribe(list) {
            var kind = list.getAttribute("data-kind");
            var status = document.getElementById(list.getAttribute("data-status"));
            var issuers = JSON.parse(list.getAttribute("data-issuers") || "{}");
            var source = new EventSource(list.getAttribute("data-stream"));
            source.onopen = function () { if (status) { status.textContent = "Live: new events appear below as they happen."; } };
            source.onerror = function () { if (status) { status.textContent = "Disconnected; reconnecting…"; } };
            var names = (list.getAttribute("data-events") || "message").split(" ");
            names.forEach(function (name) {
              source.addEventListener(name, function (event) {
                var data = JSON.parse(event.data);
                var item = document.createElement("li");
                item.setAttribute("data-event", name);
                if (kind === "alert") {
                  item.textContent = alertLine(data) + " ";
                  var issuerID = issuers[data.key_issuer || data.iss];
                  if (issuerID) {
                    var link = document.createElement("a");
                    link.href = "/console/issuers/" + encodeURIComponent(issuerID);
                    link.textContent = "the issuer's keys";
                    item.appendChild(link);
                  }
                  var records = list.getAttribute("data-records");
                  if (records && data.jti) {
                    var recordsLink = document.createElement("a");
                    recordsLink.href = records + "?jti=" + encodeURIComponent(data.jti);
                    recordsLink.textContent = "its audit records";
                    item.appendChild(document.createTextNode(" "));
                    item.appendChild(recordsLink);
                  }
                } else {
                  item.textContent = keyEventLine(name, data);
                }
                list.insertBefore(item, list.firstChild);
              });
            });
          }

          // A running job (an incident response): its state as JSON every second, one line per
          // step; reloads the page once it is done, stops when it stopped.
          function poll(list) {
            var status = document.getElementById(list.getAttribute("data-status"));
            function say(message) { if (status) { status.textContent = message; } }
            function render(state) {
              while (list.firstChild) { list.removeChild(list.firstChild); }
              (state.steps || []).forEach(function (step) {
                var item = document.createElement("li");
                item.setAttribute("data-step", text(step.step));
                item.className = step.done ? "done" : "pending";
                item.textContent = (step.done ? "done: " : "to do: ") + text(step.step) + (step.detail ? " (" + text(step.detail) + ")" : "");
                list.appendChild(item);
              });
            }
            function tick() {
              fetch(list.getAttribute("data-poll"), { credentials: "same-origin", cache: "no-store" })
                .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
                .then(function (state) {
                  render(state);
                  if (state.closed) { say("Done."); window.location.reload(); }
                  else if (state.stopped) { say(text(state.error) || "Stopped."); }
                  else { say("Running: the steps below update as they complete."); setTimeout(tick, 1000); }
                })
                .catch(function () { say("Could not read the state; retrying…"); setTimeout(tick, 3000); });
            }
            tick();
          }

          document.querySelectorAll("[data-stream]").forEach(subscribe);
          document.querySelectorAll("[data-poll]").forEach(poll);
        })();

        """
}
