package district

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"zoufang/audit"
	"zoufang/storage"
)

// AssignEnterprises assigns the enterprises with the given ids to a device
// in one transaction, with one audit entry naming who did it: the
// workbench's bulk assignment (by street, by industry or a selection).
// Enterprises already assigned to the device are left alone; the count of
// those that changed is returned. Each change is a new version of the
// enterprise, sent down with the device's next down bundle.
func (d *District) AssignEnterprises(ctx context.Context, actor, deviceID string, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, errors.New("没有选择任何企业")
	}
	n := 0
	err := d.db.Update(ctx, func(tx *storage.Tx) error {
		n = 0
		var name, revoked string
		err := tx.QueryRow(`SELECT name, revoked FROM district_devices WHERE id = ?`, deviceID).Scan(&name, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("设备 %s 未登记", deviceID)
		}
		if err != nil {
			return err
		}
		if revoked != "" {
			return fmt.Errorf("设备 %s 已停用，不能再分配企业", name)
		}
		for _, id := range ids {
			_, changed, err := tx.AssignEnterprise(id, deviceID)
			if err != nil {
				return err
			}
			if changed {
				n++
			}
		}
		if n == 0 {
			return nil
		}
		return audit.Record(tx, audit.Entry{Actor: actor, Action: "assign", Target: deviceID,
			Detail: fmt.Sprintf("把 %d 家企业分配给设备 %s（共选择 %d 家，其余已分配给该设备）", n, name, len(ids))})
	})
	return n, err
}
