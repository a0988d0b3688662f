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
