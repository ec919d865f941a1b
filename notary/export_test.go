package notary

// SetDeliverPage sets how many deliveries Deliver reads at a time, for a
// test; it returns the function that restores it.
func SetDeliverPage(n int) func() {
	old := deliverPage
	deliverPage = n
	return func() { deliverPage = old }
}
