// Task forms. The pages work without this; with it, a column named by a field elsewhere on the
// page (a party of the responsibility matrix) takes that name as it is typed, not after a round trip.
document.addEventListener('input', (event) => {
  const source = event.target;
  if (!source.name) return;
  for (const label of document.querySelectorAll(`[data-name-from="${CSS.escape(source.name)}"]`)) {
    label.textContent = source.value.trim() || label.dataset.unnamed;
  }
});
