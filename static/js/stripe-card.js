// Stripe Elements: the card number goes from the browser straight to Stripe,
// which gives back a PaymentMethod id; only that id is posted to Tengja.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || !window.Stripe) return;
  var stripe = window.Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var errors = document.getElementById("card-errors");
  card.on("change", function (event) { errors.textContent = event.error ? event.error.message : ""; });
  form.addEventListener("submit", async function (event) {
    if (document.getElementById("payment-method").value) return;
    event.preventDefault();
    var result = await stripe.confirmCardSetup(form.dataset.clientSecret, { payment_method: { card: card } });
    if (result.error) { errors.textContent = result.error.message; return; }
    document.getElementById("payment-method").value = result.setupIntent.payment_method;
    form.submit();
  });
})();
