// Each deadline in the visitor's own time zone: optional, the page is complete without it.
// A file rather than an inline <script>: the content security policy runs scripts from the site only.
(function () {
  var nodes = document.querySelectorAll("[data-local-time]");
  for (var i = 0; i < nodes.length; i++) {
    try {
      var at = new Date(nodes[i].getAttribute("data-local-time"));
      nodes[i].textContent = at.toLocaleString(undefined, {year: "numeric", month: "short", day: "numeric",
        hour: "2-digit", minute: "2-digit", timeZoneName: "short"});
      nodes[i].parentNode.hidden = false;
    } catch (e) { /* an old browser keeps the Brussels and UTC times */ }
  }
})();
