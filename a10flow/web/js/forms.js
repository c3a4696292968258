// Task forms. The pages work without this; with it, they answer as one types.

// A column named by a field elsewhere on the page (a party of the responsibility matrix) takes
// that name as it is typed, not after a round trip; a box with a limit counts toward it.
document.addEventListener('input', (event) => {
  const source = event.target;
  if (!source.name) return;
  for (const label of document.querySelectorAll(`[data-name-from="${CSS.escape(source.name)}"]`)) {
    label.textContent = source.value.trim() || label.dataset.unnamed;
  }
  const count = source.id && document.querySelector(`[data-count-of="${CSS.escape(source.id)}"]`);
  if (count && source.maxLength > 0) {
    count.textContent = `${source.value.length.toLocaleString('en')} of ${source.maxLength.toLocaleString('en')} characters.`;
  }
});
