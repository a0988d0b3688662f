// The synthetic-data notice is sticky (book.css); the theme places its sidebars and the
// article header below --pst-header-height, so that height follows the notice's.
(function () {
  function place() {
    var notice = document.querySelector(".bd-header-announcement");
    var height = notice ? notice.getBoundingClientRect().height : 0;
    document.documentElement.style.setProperty("--pst-header-height", height + "px");
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", place);
  } else {
    place();
  }
  window.addEventListener("resize", place);
})();

// Every figure can be downloaded: as SVG (the file the page shows) and as PNG (drawn
// from it at twice its natural size, in the browser, so no server or network is needed).
(function () {
  function slug(figure, index) {
    var number = figure.querySelector(".caption-number");
    var text = number ? number.textContent : "figure " + (index + 1);
    return text.trim().toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  }
  function png(img, name) {
    var picture = new Image();
    picture.onload = function () {
      var scale = 2;
      var canvas = document.createElement("canvas");
      canvas.width = (picture.naturalWidth || img.naturalWidth) * scale;
      canvas.height = (picture.naturalHeight || img.naturalHeight) * scale;
      var context = canvas.getContext("2d");
      context.fillStyle = "#ffffff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(picture, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = name + ".png";
        document.body.appendChild(link);
        link.click();
        setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
      }, "image/png");
    };
    picture.src = img.src;
  }
  function add() {
    document.querySelectorAll("main figure").forEach(function (figure, index) {
      var img = figure.querySelector('img[src$=".svg"]');
      if (!img || figure.querySelector(".figure-download")) return;
      var name = slug(figure, index);
      var bar = document.createElement("p");
      bar.className = "figure-download";
      var svg = document.createElement("a");
      svg.href = img.getAttribute("src");
      svg.download = name + ".svg";
      svg.textContent = "SVG";
      var raster = document.createElement("a");
      raster.href = "#";
      raster.className = "figure-download__png";
      raster.textContent = "PNG";
      raster.addEventListener("click", function (event) {
        event.preventDefault();
        png(img, name);
      });
      bar.append("Download: ", svg, " · ", raster);
      var caption = figure.querySelector("figcaption");
      figure.insertBefore(bar, caption ? caption.nextSibling : null);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", add);
  } else {
    add();
  }
})();

// Honest on paper: every printed page carries the synthetic-data notice (where there is
// one) and the edition stamp, in its page margins (book.css sets the margins; a margin
// box takes its words from CSS alone, so they are copied here from the page).
(function () {
  function quoted(text) {
    return '"' + text.replace(/\s+/g, " ").trim().replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"';
  }
  function add() {
    var notice = document.querySelector(".bd-header-announcement");
    var stamp = document.querySelector(".edition-stamp");
    var box = "font: 7.5pt sans-serif; color: #000;";
    var rules = [];
    if (notice && notice.textContent.trim()) {
      rules.push("@top-left { content: " + quoted(notice.textContent) + "; " + box +
                 " font-weight: bold; vertical-align: bottom; }");
    }
    if (stamp && stamp.textContent.trim()) {
      rules.push("@bottom-left { content: " + quoted(stamp.textContent) + "; " + box + " }");
    }
    rules.push('@bottom-right { content: "Page " counter(page) " of " counter(pages); ' + box + " }");
    var style = document.createElement("style");
    style.id = "cen-running-margins";
    style.textContent = "@media print { @page { " + rules.join(" ") + " } @page wide { " +
      rules.join(" ") + " } }";
    document.head.appendChild(style);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", add);
  } else {
    add();
  }
})();

// A table wider than its box: a line says so, a shadow marks the side where columns are
// hidden, and the box becomes a focusable region named by the table's caption, so that
// a keyboard can scroll it (WCAG 2.1.1). A table that fits is left as it is.
(function () {
  function update(table) {
    var box = table.querySelector(".cen-table__scroll");
    var frame = table.querySelector(".cen-table__frame");
    if (!box || !frame) return;
    var scrolls = box.scrollWidth > box.clientWidth + 1;
    table.classList.toggle("cen-table--scrolls", scrolls);
    if (scrolls) {
      var caption = box.querySelector("caption");
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", (caption ? caption.textContent.trim() : "Table") +
                       " (scrolls sideways)");
    } else {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
    frame.classList.toggle("more-left", scrolls && box.scrollLeft > 1);
    frame.classList.toggle("more-right",
                           scrolls && box.scrollLeft + box.clientWidth < box.scrollWidth - 1);
  }
  function add() {
    var tables = document.querySelectorAll(".cen-table");
    tables.forEach(function (table) {
      var frame = table.querySelector(".cen-table__frame");
      var box = table.querySelector(".cen-table__scroll");
      if (!frame || !box) return;
      var columns = box.querySelectorAll("thead tr:first-child th").length;
      var cue = document.createElement("p");
      cue.className = "cen-table__cue";
      cue.textContent = "Wider than the screen: scroll the table sideways to see all " +
        columns + " columns \u2192";
      table.insertBefore(cue, frame);
      box.addEventListener("scroll", function () { update(table); }, {passive: true});
      update(table);
      // Whenever the box or its table changes size (the window, the fonts, the page's
      // layout settling), not only at load.
      if (window.ResizeObserver) {
        var watch = new ResizeObserver(function () { update(table); });
        watch.observe(box);
        if (box.querySelector("table")) watch.observe(box.querySelector("table"));
      }
    });
    window.addEventListener("resize", function () { tables.forEach(update); });
    window.addEventListener("load", function () { tables.forEach(update); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", add);
  } else {
    add();
  }
})();
