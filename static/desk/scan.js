// The header's camera button: reads a QR code (or a barcode the browser can decode) with the camera
// and searches for what it holds, as a barcode scanner acting as a keyboard would type it. The
// BarcodeDetector API decodes in the browser (Chrome on Android, Safari 17+ on iOS); where it is
// absent the button stays hidden. The camera needs a secure page (HTTPS or localhost). Nothing is
// loaded from elsewhere; no inline script (the Content-Security-Policy allows none).
(function () {
  var button = document.querySelector("[data-scan]");
  if (!button || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  var form = button.form, video = form.querySelector("[data-scan-video]"), field = form.querySelector("[name=q]");
  var wanted = ["qr_code", "code_128", "code_39", "data_matrix", "ean_13"];
  button.hidden = false;
  button.addEventListener("click", function () {
    var formats = BarcodeDetector.getSupportedFormats ? BarcodeDetector.getSupportedFormats() : Promise.resolve(["qr_code"]);
    formats.then(function (supported) {
      var detector = new BarcodeDetector({formats: wanted.filter(function (f) { return supported.indexOf(f) >= 0; })});
      return navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        function stop() { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; }
        function look() {
          detector.detect(video).then(function (codes) {
            if (codes.length) {
              stop();
              field.value = codes[0].rawValue.trim();
              form.submit();
            } else {
              setTimeout(look, 250);
            }
          }).catch(function () { setTimeout(look, 500); });
        }
        look();
      });
    }).catch(function () {
      button.textContent = button.dataset.unavailable;
      button.disabled = true;
    });
  });
})();
