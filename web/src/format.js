// Numbers as the page writes them.

// 124439808 -> "124,439,808". Not toLocaleString: its first call took 30 ms, a long
// task in the middle of training or loading.
export function grouped(n) {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
