-- +goose Up
CREATE TABLE IF NOT EXISTS `product_req_signoffs_scheduled_changes_signoffs_history` (
  `change_id` INT NOT NULL AUTO_INCREMENT,
  `changed_by` VARCHAR(100) NOT NULL,
  `timestamp` BIGINT NOT NULL,
  `sc_id` INT NOT NULL,
  `username` VARCHAR(100) NOT NULL,
  `role` VARCHAR(50) NULL,
  PRIMARY KEY (`change_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `product_req_signoffs_scheduled_changes_signoffs_history`;
