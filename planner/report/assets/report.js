/* Draw every figure of the page from the JSON embedded beside it (plotly.js is inlined above). */
(function () {
  "use strict";
  var config = {displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"]};
  var pending = [];
  document.querySelectorAll('script[type="application/json"][data-figure]').forEach(function (el) {
    var fig = JSON.parse(el.textContent);
    var div = document.getElementById(el.getAttribute("data-figure"));
    pending.push(Plotly.newPlot(div, fig.data, fig.layout || {}, config));
  });
  Promise.all(pending).then(function () { document.body.setAttribute("data-charts", "ready"); });
})();
