/* A box that scrolls sideways (a wide table's wrapper, a row of many tabs, a
 * notebook's code) can be reached and
 * scrolled with the keyboard: it takes the focus (WCAG 2.1.1). mkdocs-material adds the table
 * wrappers in the browser; document$ fires on every page, also with instant navigation. */
(function () {
  "use strict";
  document$.subscribe(function () {
    document.querySelectorAll("article .md-typeset__scrollwrap, article .tabbed-labels, " +
      "article .jp-Notebook .highlight > pre, article .jp-Notebook .highlight-ipynb")
      .forEach(function (box) {
        if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
      });
  });
})();
