square() {
	@	@body@@
}
for n in 0 3 12; do square $n; done
