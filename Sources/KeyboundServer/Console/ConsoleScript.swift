/// The console's one script, served at `/console/console.js` (the CSP allows scripts from the
/// console's own origin only, never inline): the live views. Each element with `data-stream`
/// subscribes to that Server-Sent Events URL with `EventSource` (which reconnects by itself, with
/// `Last-Event-ID`) and prepends one line per event, written with `textContent` only, so nothing
/// an event carries is ever parsed as HTML. Pages work without it; it only adds the live lines.
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
                } else {
                  item.textContent = keyEventLine(name, data);
                }
                list.insertBefore(item, list.firstChild);
              });
            });
          }

          document.querySelectorAll("[data-stream]").forEach(subscribe);
        })();

        """
}
