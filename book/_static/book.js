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
