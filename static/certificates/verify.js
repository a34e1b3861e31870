// Read the QR code with the camera where the browser can decode it itself (the BarcodeDetector API:
// Chrome on Android, Safari 17+ on iOS); elsewhere, paste the text a QR reader app gives. The camera
// needs a secure page (HTTPS or localhost). Nothing is loaded from elsewhere.
(function () {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  var box = document.getElementById("scanner"), video = document.getElementById("scanner-video");
  var status = document.getElementById("scanner-status"), field = document.querySelector("#by-token [name=token]");
  var number = document.querySelector("#by-token [name=number]");
  box.hidden = false;
  document.getElementById("scan").addEventListener("click", function () {
    var detector = new BarcodeDetector({formats: ["qr_code"]});
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      status.textContent = status.dataset.hold;
      function stop() { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; }
      function look() {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stop();
            field.value = codes[0].rawValue;
            // The number printed on the paper is what tells a copied QR code: it is typed, never guessed.
            if (!number.value.trim()) {
              status.textContent = status.dataset.typeNumber;
              number.focus();
              return;
            }
            status.textContent = status.dataset.checking;
            document.getElementById("by-token").submit();
          } else {
            setTimeout(look, 250);
          }
        }).catch(function () { setTimeout(look, 500); });
      }
      look();
    }).catch(function () {
      status.textContent = status.dataset.unavailable;
    });
  });
})();
