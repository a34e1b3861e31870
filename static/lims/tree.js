// A split's indentation in a lot's sample tree: its depth, given as data-depth, becomes the CSS variable
// --depth (lims.css). Set here rather than in a style attribute, which the Content-Security-Policy refuses.
document.querySelectorAll(".tree-item[data-depth]").forEach(function (item) {
  item.style.setProperty("--depth", item.dataset.depth);
});
