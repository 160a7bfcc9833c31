// Opens the browser's folder chooser for a model folder and hands back its name and top-level files
// (a model folder keeps its files at the top). The input is made on demand, not kept in the page,
// so the page's other file inputs (the dataset import) stay the only ones there.
export function chooseModelFolder(onPicked: (name: string, files: File[]) => void): void {
  const input = document.createElement('input');
  input.type = 'file';
  input.webkitdirectory = true;
  input.multiple = true;
  input.onchange = () => {
    const all = [...(input.files ?? [])];
    if (all.length === 0) return;
    const name = all[0]!.webkitRelativePath.split('/')[0] || 'folder';
    onPicked(
      name,
      all.filter((f) => f.webkitRelativePath.split('/').length === 2),
    );
  };
  input.click();
}
