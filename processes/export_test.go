package processes

// SetAfterStep lets tests stop a manager at an exact point of its work.
func (m *Manager) SetAfterStep(f func()) { m.afterStep = f }
