package notary

// SetDeliverPage sets how many deliveries Deliver reads at a time, for a
// test.
func (s *Service) SetDeliverPage(n int) { s.deliverPage = n }
