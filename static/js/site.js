// Likes and cart update in place; without JavaScript the same forms post and redirect.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form.js-toggle");
  if (!form) return;
  event.preventDefault();
  const field = form.dataset.field;
  const response = await fetch(form.action, {
    method: "POST",
    body: new FormData(form),
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  // Not logged in: log in first, then come back to the item (the server names where to go).
  if (response.status === 401 && data.login_url) { window.location.assign(data.login_url); return; }
  if (!response.ok) { alert(data.detail || "Something went wrong."); return; }
  const on = Boolean(data[field]);
  form.querySelector(`input[name=${field}]`).value = on ? "0" : "1";
  const button = form.querySelector("button");
  button.setAttribute("aria-pressed", String(on));
  button.textContent = field === "liked" ? (on ? "♥ Liked" : "♡ Like") : (on ? "In cart ✓" : "Add to cart");
});
