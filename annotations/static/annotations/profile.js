// The profile page: copy the API token with one click.
//
// navigator.clipboard needs a secure context (https, or localhost); elsewhere the token is
// selected and copied with the older execCommand, and if that fails too it stays selected for
// Ctrl+C. Either way the page says what happened.

for (const button of document.querySelectorAll("button[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const field = document.getElementById(button.dataset.copy);
    const said = button.closest("p").querySelector(".copy-status");
    let copied = false;
    try {
      await navigator.clipboard.writeText(field.value);
      copied = true;
    } catch {
      field.focus();
      field.select();
      try { copied = document.execCommand("copy"); } catch { copied = false; }
    }
    if (said) said.textContent = copied ? "Copied." : "Selected: press Ctrl+C (or ⌘C) to copy.";
    button.textContent = copied ? "Copied" : "Copy";
    setTimeout(() => { button.textContent = "Copy"; if (said) said.textContent = ""; }, 3000);
  });
}
