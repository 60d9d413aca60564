// Copy the freshly created API token; falls back to selecting it for Ctrl/Cmd+C.
document.querySelectorAll("[data-copy-target]").forEach((button) => {
  button.addEventListener("click", async () => {
    const input = document.getElementById(button.dataset.copyTarget);
    const status = document.querySelector(".copy-status");
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      if (status) status.textContent = "Copied to the clipboard.";
    } catch {
      if (status) status.textContent = "Press Ctrl+C (or Cmd+C) to copy the selected token.";
    }
  });
});
